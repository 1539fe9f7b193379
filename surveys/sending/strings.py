"""The wording of invitation emails that ships with the product, per language (surveys.languages.SHIPPED).

``{key: {language: text}}``; a reader's text is chosen by :func:`surveys.languages.pick` (the language, its
base language, then English). The survey's own words (its question) come from its ``SurveyText``; these are
the words around it. Placeholders are ``str.format`` fields filled by surveys.sending.emails.
"""

from __future__ import annotations

from surveys.languages import pick

STRINGS: dict[str, dict[str, str]] = {
    "subject": {
        "en": "{tenant}: a one-click question",
        "tr": "{tenant}: tek tıklamalık bir soru",
        "zh-Hans": "{tenant}：一个只需点击一次的问题",
        "ta": "{tenant}: ஒரே சொடுக்கில் பதிலளிக்கும் கேள்வி",
    },
    "greeting": {
        "en": "Hello {name},",
        "tr": "Merhaba {name},",
        "zh-Hans": "{name}，您好：",
        "ta": "வணக்கம் {name},",
    },
    "greeting_anonymous": {
        "en": "Hello,",
        "tr": "Merhaba,",
        "zh-Hans": "您好：",
        "ta": "வணக்கம்,",
    },
    "choose": {
        "en": "Click a score to answer; you can add a comment on the page that opens.",
        "tr": "Yanıtlamak için bir puana tıklayın; açılan sayfada yorum ekleyebilirsiniz.",
        "zh-Hans": "点击一个分数即可作答；您可以在打开的页面中添加评论。",
        "ta": "பதிலளிக்க ஒரு மதிப்பெண்ணைச் சொடுக்கவும்; திறக்கும் பக்கத்தில் கருத்தைச் சேர்க்கலாம்.",
    },
    "low.nps": {
        "en": "0 = not at all likely",
        "tr": "0 = hiç olası değil",
        "zh-Hans": "0 = 完全不可能",
        "ta": "0 = வாய்ப்பே இல்லை",
    },
    "high.nps": {
        "en": "10 = extremely likely",
        "tr": "10 = kesinlikle olası",
        "zh-Hans": "10 = 极有可能",
        "ta": "10 = மிக நிச்சயமாக",
    },
    "low.csat": {
        "en": "1 = very dissatisfied",
        "tr": "1 = hiç memnun değilim",
        "zh-Hans": "1 = 非常不满意",
        "ta": "1 = மிகவும் அதிருப்தி",
    },
    "high.csat": {
        "en": "5 = very satisfied",
        "tr": "5 = çok memnunum",
        "zh-Hans": "5 = 非常满意",
        "ta": "5 = மிகவும் திருப்தி",
    },
    "low.ces": {
        "en": "1 = very difficult",
        "tr": "1 = çok zor",
        "zh-Hans": "1 = 非常困难",
        "ta": "1 = மிகவும் கடினம்",
    },
    "high.ces": {
        "en": "7 = very easy",
        "tr": "7 = çok kolay",
        "zh-Hans": "7 = 非常容易",
        "ta": "7 = மிகவும் எளிது",
    },
    "score_label": {
        "en": "Score {score}",
        "tr": "Puan {score}",
        "zh-Hans": "{score} 分",
        "ta": "மதிப்பெண் {score}",
    },
    "open_page": {
        "en": "Or open the survey page",
        "tr": "Ya da anket sayfasını açın",
        "zh-Hans": "或打开调查页面",
        "ta": "அல்லது கணக்கெடுப்புப் பக்கத்தைத் திறக்கவும்",
    },
    "expires": {
        "en": "This link works until {date}.",
        "tr": "Bu bağlantı {date} tarihine kadar geçerlidir.",
        "zh-Hans": "此链接有效期至 {date}。",
        "ta": "இந்த இணைப்பு {date} வரை செயல்படும்.",
    },
    "why": {
        "en": "You receive this email because you are a customer of {tenant}.",
        "tr": "Bu e-postayı {tenant} müşterisi olduğunuz için alıyorsunuz.",
        "zh-Hans": "您收到此邮件是因为您是 {tenant} 的客户。",
        "ta": "நீங்கள் {tenant} வாடிக்கையாளர் என்பதால் இந்த மின்னஞ்சலைப் பெறுகிறீர்கள்.",
    },
    "opt_out": {
        "en": "No more survey emails",
        "tr": "Artık anket e-postası gönderilmesin",
        "zh-Hans": "不再接收调查邮件",
        "ta": "இனி கணக்கெடுப்பு மின்னஞ்சல்கள் வேண்டாம்",
    },
}


def text(key: str, language: str | None, **values: object) -> str:
    """``key``'s wording for a reader of ``language``, with its placeholders filled."""
    return pick(STRINGS[key], language).format(**values)
