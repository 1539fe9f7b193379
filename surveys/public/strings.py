"""The public survey page's own words (its "chrome": buttons, labels, scale ends, errors, the expired,
unknown, opt-out and too-many-requests pages) in every shipped language (surveys.languages.SHIPPED).

The survey's question and follow-ups are the tenant's words (SurveyText); only what the product itself
says lives here. A catalog entry is ``{key: {language: text}}``; ``{name}`` placeholders are filled by
:func:`chrome`'s ``format``. tests/surveys/public checks that every key has every shipped language.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation.trans_real import parse_accept_lang_header

from surveys.languages import SHIPPED, pick, resolve

MAX_ACCEPT_LANGUAGE = 500  # a longer header is a client's mistake or an attack: English then

CATALOG: dict[str, dict[str, str]] = {
    "page_title": {
        "en": "Your feedback", "tr": "Görüşünüz", "zh-Hans": "您的反馈", "ta": "உங்கள் கருத்து"},
    "from_tenant": {
        "en": "A short survey from {tenant}", "tr": "{tenant} adına kısa bir anket",
        "zh-Hans": "来自 {tenant} 的简短调查", "ta": "{tenant} அனுப்பிய ஒரு சிறிய கருத்துக்கணிப்பு"},
    "about_ticket": {
        "en": "About your request: {subject}", "tr": "Talebiniz hakkında: {subject}",
        "zh-Hans": "关于您的请求：{subject}", "ta": "உங்கள் கோரிக்கை பற்றி: {subject}"},
    "nps_low": {
        "en": "Not at all likely", "tr": "Hiç olası değil", "zh-Hans": "完全不可能",
        "ta": "வாய்ப்பே இல்லை"},
    "nps_high": {
        "en": "Extremely likely", "tr": "Çok büyük olasılıkla", "zh-Hans": "非常可能",
        "ta": "மிக அதிக வாய்ப்பு"},
    "csat_low": {
        "en": "Very dissatisfied", "tr": "Hiç memnun değilim", "zh-Hans": "非常不满意",
        "ta": "மிகவும் அதிருப்தி"},
    "csat_high": {
        "en": "Very satisfied", "tr": "Çok memnunum", "zh-Hans": "非常满意", "ta": "மிகவும் திருப்தி"},
    "ces_low": {
        "en": "Very difficult", "tr": "Çok zor", "zh-Hans": "非常困难", "ta": "மிகவும் கடினம்"},
    "ces_high": {
        "en": "Very easy", "tr": "Çok kolay", "zh-Hans": "非常容易", "ta": "மிகவும் எளிது"},
    "scale_end": {
        "en": "{score} = {label}", "tr": "{score} = {label}", "zh-Hans": "{score} = {label}",
        "ta": "{score} = {label}"},
    "followup_optional": {
        "en": "(optional)", "tr": "(isteğe bağlı)", "zh-Hans": "（选填）", "ta": "(விருப்பத்திற்குரியது)"},
    "comment_label": {
        "en": "Anything else you would like to tell us? (optional)",
        "tr": "Bize söylemek istediğiniz başka bir şey var mı? (isteğe bağlı)",
        "zh-Hans": "还有什么想告诉我们的吗？（选填）",
        "ta": "எங்களிடம் வேறு ஏதாவது சொல்ல விரும்புகிறீர்களா? (விருப்பத்திற்குரியது)"},
    "submit": {
        "en": "Send my answer", "tr": "Yanıtımı gönder", "zh-Hans": "提交我的回答", "ta": "என் பதிலை அனுப்பு"},
    "update": {
        "en": "Update my answer", "tr": "Yanıtımı güncelle", "zh-Hans": "更新我的回答",
        "ta": "என் பதிலைப் புதுப்பி"},
    "thanks": {
        "en": "Thank you! Your answer has been recorded.", "tr": "Teşekkürler! Yanıtınız kaydedildi.",
        "zh-Hans": "谢谢！您的回答已记录。", "ta": "நன்றி! உங்கள் பதில் பதிவு செய்யப்பட்டது."},
    "recorded_score": {
        "en": "Your score of {score} has been recorded. You can add a comment below.",
        "tr": "{score} puanınız kaydedildi. Aşağıya bir yorum ekleyebilirsiniz.",
        "zh-Hans": "您的评分 {score} 已记录。您可以在下方补充意见。",
        "ta": "உங்கள் மதிப்பெண் {score} பதிவு செய்யப்பட்டது. கீழே கருத்தைச் சேர்க்கலாம்."},
    "editable_until": {
        "en": "You can change your answer until {date}.", "tr": "Yanıtınızı {date} tarihine kadar değiştirebilirsiniz.",
        "zh-Hans": "您可以在 {date} 之前修改回答。", "ta": "{date} வரை உங்கள் பதிலை மாற்றலாம்."},
    "expired_title": {
        "en": "This link has expired", "tr": "Bu bağlantının süresi doldu", "zh-Hans": "此链接已过期",
        "ta": "இந்த இணைப்பு காலாவதியாகிவிட்டது"},
    "expired_body": {
        "en": "This survey can no longer be answered.", "tr": "Bu anket artık yanıtlanamaz.",
        "zh-Hans": "此调查已无法作答。", "ta": "இந்தக் கருத்துக்கணிப்புக்கு இனி பதிலளிக்க முடியாது."},
    "answered_on": {
        "en": "You answered on {date}, thank you.", "tr": "{date} tarihinde yanıt verdiniz, teşekkür ederiz.",
        "zh-Hans": "您已于 {date} 作答，谢谢。", "ta": "நீங்கள் {date} அன்று பதிலளித்தீர்கள், நன்றி."},
    "unknown_title": {
        "en": "This link is not valid", "tr": "Bu bağlantı geçerli değil", "zh-Hans": "此链接无效",
        "ta": "இந்த இணைப்பு செல்லாது"},
    "unknown_body": {
        "en": "Please check that you opened the whole link from the email.",
        "tr": "Lütfen e-postadaki bağlantının tamamını açtığınızdan emin olun.",
        "zh-Hans": "请确认您打开的是邮件中的完整链接。",
        "ta": "மின்னஞ்சலில் உள்ள முழு இணைப்பையும் திறந்தீர்களா என்று சரிபார்க்கவும்."},
    "too_many_title": {
        "en": "Too many requests", "tr": "Çok fazla istek", "zh-Hans": "请求过多", "ta": "அதிகமான கோரிக்கைகள்"},
    "too_many_body": {
        "en": "Please wait a minute and try again.", "tr": "Lütfen bir dakika bekleyip yeniden deneyin.",
        "zh-Hans": "请稍等一分钟后再试。", "ta": "ஒரு நிமிடம் காத்திருந்து மீண்டும் முயலவும்."},
    "errors_title": {
        "en": "Please check your answer", "tr": "Lütfen yanıtınızı kontrol edin", "zh-Hans": "请检查您的回答",
        "ta": "உங்கள் பதிலைச் சரிபார்க்கவும்"},
    "field_score": {"en": "Score", "tr": "Puan", "zh-Hans": "评分", "ta": "மதிப்பெண்"},
    "field_comment": {"en": "Comment", "tr": "Yorum", "zh-Hans": "意见", "ta": "கருத்து"},
    "field_followup_answer": {
        "en": "Follow-up answer", "tr": "Ek soru yanıtı", "zh-Hans": "追问回答", "ta": "தொடர் கேள்விக்கான பதில்"},
    "field_token": {"en": "Link", "tr": "Bağlantı", "zh-Hans": "链接", "ta": "இணைப்பு"},
    "error_required": {
        "en": "choose one of the options", "tr": "seçeneklerden birini seçin", "zh-Hans": "请选择一个选项",
        "ta": "ஒரு தேர்வைத் தேர்ந்தெடுக்கவும்"},
    "error_range": {
        "en": "must be a whole number from {low} to {high}", "tr": "{low} ile {high} arasında bir tam sayı olmalı",
        "zh-Hans": "必须是 {low} 到 {high} 之间的整数", "ta": "{low} முதல் {high} வரையிலான முழு எண்ணாக இருக்க வேண்டும்"},
    "error_too_long": {
        "en": "at most {limit} characters", "tr": "en fazla {limit} karakter", "zh-Hans": "最多 {limit} 个字符",
        "ta": "அதிகபட்சம் {limit} எழுத்துகள்"},
    "error_nul": {
        "en": "must not contain NUL characters", "tr": "NUL karakteri içeremez", "zh-Hans": "不能包含 NUL 字符",
        "ta": "NUL எழுத்துகள் இருக்கக்கூடாது"},
    "error_expired": {
        "en": "this link has expired", "tr": "bu bağlantının süresi doldu", "zh-Hans": "此链接已过期",
        "ta": "இந்த இணைப்பு காலாவதியாகிவிட்டது"},
    "opt_out_link": {
        "en": "Do not send me survey emails", "tr": "Bana anket e-postası gönderme",
        "zh-Hans": "不要再给我发送调查邮件", "ta": "எனக்குக் கருத்துக்கணிப்பு மின்னஞ்சல்களை அனுப்ப வேண்டாம்"},
    "opt_out_title": {
        "en": "Stop survey emails", "tr": "Anket e-postalarını durdur", "zh-Hans": "停止接收调查邮件",
        "ta": "கருத்துக்கணிப்பு மின்னஞ்சல்களை நிறுத்து"},
    "opt_out_body": {
        "en": "{tenant} will not send you survey emails any more.",
        "tr": "{tenant} size artık anket e-postası göndermeyecek.",
        "zh-Hans": "{tenant} 将不再向您发送调查邮件。",
        "ta": "{tenant} இனி உங்களுக்குக் கருத்துக்கணிப்பு மின்னஞ்சல்களை அனுப்பாது."},
    "opt_out_button": {
        "en": "Yes, stop sending me surveys", "tr": "Evet, bana anket göndermeyi durdurun",
        "zh-Hans": "是的，不要再发调查给我", "ta": "ஆம், எனக்குக் கருத்துக்கணிப்புகளை அனுப்புவதை நிறுத்துங்கள்"},
    "opt_out_done": {
        "en": "Done: you will not receive survey emails from {tenant} any more.",
        "tr": "Tamam: artık {tenant} adına anket e-postası almayacaksınız.",
        "zh-Hans": "已完成：您将不再收到 {tenant} 的调查邮件。",
        "ta": "முடிந்தது: இனி {tenant} இடமிருந்து கருத்துக்கணிப்பு மின்னஞ்சல்கள் வராது."},
    "back_to_survey": {
        "en": "Back to the survey", "tr": "Ankete dön", "zh-Hans": "返回调查", "ta": "கருத்துக்கணிப்புக்குத் திரும்பு"},
}


def page_language(requested: Iterable[str | None]) -> str:
    """The shipped language of the page chrome for a reader asking for ``requested`` (first match wins;
    a Chinese reader gets ``zh-Hans``), English when none matches."""
    for code in requested:
        if not code:
            continue
        if code.lower().split("-")[0] == "zh":
            return "zh-Hans"
        exact = {c.lower(): c for c in SHIPPED}
        if code.lower() in exact or code.lower().split("-")[0] in exact:
            return resolve(code, "en", SHIPPED) or "en"
    return "en"


def requested_languages(accept_language: str) -> list[str]:
    """The browser's languages, preferred first (``Accept-Language``), for pages that know no invitation."""
    if len(accept_language) > MAX_ACCEPT_LANGUAGE:
        return []
    return [code for code, _q in parse_accept_lang_header(accept_language) if code != "*"]


class Chrome:
    """A catalog in one language, for templates (``{{ t.submit }}``) and views (``t.format(...)``): this
    page's by default, another public page's (the learner portal's, learning.portal.strings) when given."""

    def __init__(self, language: str, catalog: dict[str, dict[str, str]] | None = None) -> None:
        self.language = language
        self.catalog = CATALOG if catalog is None else catalog

    def __getitem__(self, key: str) -> str:
        return pick(self.catalog[key], self.language)

    def format(self, key: str, **values: object) -> str:
        return self[key].format(**values)
