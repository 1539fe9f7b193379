"""The wording of learning emails, per shipped language (surveys.languages.SHIPPED: en, tr, zh-Hans, ta).

``{key: {language: text}}``, chosen by :func:`surveys.languages.pick` like the survey emails' catalogue
(surveys.sending.strings), whose greeting and "why you receive this" lines these emails share. The paths'
names are the authors' words and are shown as written. Placeholders are ``str.format`` fields.
"""

from __future__ import annotations

from surveys.languages import pick

STRINGS: dict[str, dict[str, str]] = {
    "subject.invitation": {
        "en": "{tenant}: your training is ready",
        "tr": "{tenant}: eğitiminiz hazır",
        "zh-Hans": "{tenant}：您的培训已准备就绪",
        "ta": "{tenant}: உங்கள் பயிற்சி தயாராக உள்ளது",
    },
    "subject.reminder": {
        "en": "{tenant}: continue your training",
        "tr": "{tenant}: eğitiminize devam edin",
        "zh-Hans": "{tenant}：继续您的培训",
        "ta": "{tenant}: உங்கள் பயிற்சியைத் தொடருங்கள்",
    },
    "intro.invitation": {
        "en": "{tenant} has prepared training for you:",
        "tr": "{tenant} sizin için bir eğitim hazırladı:",
        "zh-Hans": "{tenant} 为您准备了以下培训：",
        "ta": "{tenant} உங்களுக்காகப் பயிற்சியைத் தயாரித்துள்ளது:",
    },
    "intro.reminder": {
        "en": "Your training at {tenant} is waiting for you:",
        "tr": "{tenant} eğitiminiz sizi bekliyor:",
        "zh-Hans": "您在 {tenant} 的培训正在等您继续：",
        "ta": "{tenant} இல் உங்கள் பயிற்சி உங்களுக்காகக் காத்திருக்கிறது:",
    },
    "progress": {
        "en": "{done} of {total} steps done",
        "tr": "{total} adımdan {done} tanesi tamamlandı",
        "zh-Hans": "已完成 {done}/{total} 步",
        "ta": "{total} படிகளில் {done} முடிந்தது",
    },
    "button.invitation": {
        "en": "Start learning",
        "tr": "Öğrenmeye başlayın",
        "zh-Hans": "开始学习",
        "ta": "கற்கத் தொடங்குங்கள்",
    },
    "button.reminder": {
        "en": "Continue where you left off",
        "tr": "Kaldığınız yerden devam edin",
        "zh-Hans": "从上次离开的地方继续",
        "ta": "விட்ட இடத்திலிருந்து தொடருங்கள்",
    },
    "link_once": {
        "en": "This button signs you in once, until {date}. After that, ask for a new link at {url}",
        "tr": "Bu düğme sizi {date} tarihine kadar bir kez oturum açtırır. Sonrasında yeni bir bağlantıyı "
              "şuradan isteyin: {url}",
        "zh-Hans": "此按钮可在 {date} 之前登录一次。之后请在此处申请新链接：{url}",
        "ta": "இந்தப் பொத்தான் {date} வரை ஒருமுறை உங்களை உள்நுழையச் செய்யும். அதன் பிறகு புதிய இணைப்பை "
              "இங்கே கேளுங்கள்: {url}",
    },
    "stop": {
        "en": "Don't want these emails? Reply to {tenant} or tell your contact there, and they will stop them. "
              "Opting out of {tenant}'s survey emails stops these too.",
        "tr": "Bu e-postaları istemiyor musunuz? {tenant} ile iletişime geçin, gönderimi durdursunlar. "
              "{tenant} anket e-postalarından çıkmanız bunları da durdurur.",
        "zh-Hans": "不想再收到这些邮件？请回复 {tenant} 或告知您在那里的联系人，他们会停止发送。"
                   "退订 {tenant} 的调查邮件也会停止这些邮件。",
        "ta": "இந்த மின்னஞ்சல்கள் வேண்டாமா? {tenant} க்குப் பதிலளியுங்கள் அல்லது அங்குள்ள உங்கள் தொடர்பாளரிடம் "
              "சொல்லுங்கள்; அவர்கள் நிறுத்துவார்கள். {tenant} கணக்கெடுப்பு மின்னஞ்சல்களிலிருந்து விலகினால் இவையும் "
              "நிற்கும்.",
    },
}


def text(key: str, language: str | None, **values: object) -> str:
    """``key``'s wording for a reader of ``language``, with its placeholders filled."""
    return pick(STRINGS[key], language).format(**values)
