"""The project's own documents (``docs/``) served by the app, so that pages citing a definition link to a page
that exists in every clone and deployment (not to a file beside the checkout)."""
