"""``{% channel_badge channel label %}``: a channel's name with a small inline SVG icon.

An icon drawn by the page, not an emoji: "💬" rendered as an empty box on machines without an emoji
font. The SVG is inline markup (no ``style``, no script: the CSP's style-src 'self' holds), coloured by
classes in static/css/app.css; the name is always written out beside it, so the icon is hidden from
screen readers and the badge's ``title`` says the name too.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# 16 x 16 outline drawings (stroked with currentColor by .channel .icon in app.css). Constants only.
ICONS = {
    "email": '<rect x="1.5" y="3.5" width="13" height="9" rx="1"/><path d="M2 4.5l6 4.5 6-4.5"/>',
    "chat": '<path d="M2.5 3h11v7.5h-6l-3 2.5v-2.5h-2z"/>',
    "phone": '<path d="M4.5 1.5l2 3-1.5 1.5a7 7 0 0 0 5 5l1.5-1.5 3 2-1.5 2.5C7.5 13.5 2.5 8.5 2 3z"/>',
    "social": '<path d="M6.5 2l-1.5 12M11 2l-1.5 12M2.5 5.5h11.5M2 10.5h11.5"/>',
    "messaging": '<rect x="4.5" y="1.5" width="7" height="13" rx="1.5"/><path d="M7 12.5h2"/>',
    "web": ('<circle cx="8" cy="8" r="6.5"/>'
            '<path d="M1.5 8h13M8 1.5c2.5 2.5 2.5 10.5 0 13M8 1.5c-2.5 2.5-2.5 10.5 0 13"/>'),
    "in_app": '<rect x="1.5" y="2.5" width="13" height="11" rx="1"/><path d="M1.5 5.5h13M3.5 4h1"/>',
}
FALLBACK = '<circle cx="8" cy="8" r="5.5"/>'


def channel_icon(channel: str) -> SafeString:
    drawing = mark_safe(ICONS.get(channel, FALLBACK))  # noqa: S308 - constants above, never user input
    return format_html('<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" '
                       'focusable="false" xmlns="http://www.w3.org/2000/svg">{}</svg>', drawing)


@register.simple_tag
def channel_badge(channel: str, label: str) -> SafeString:
    """The channel's badge: icon and name (the name also as the tooltip)."""
    return format_html('<span class="channel {}" title="{}">{}{}</span>', channel, label, channel_icon(channel),
                       label)
