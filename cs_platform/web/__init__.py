"""Page helpers shared by every app's ``views``: full page or htmx partial, pagination, sort links,
CSV responses and form errors (``pages``), and the server-rendered SVG charts (``charts``). The shared
template partials live in ``templates/web/``."""
