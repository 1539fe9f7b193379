"""Knowledge base: articles and categories, full-text search, qualification of new tickets against the
articles (suggestions and deflection), the writers' pages and the public help center."""
