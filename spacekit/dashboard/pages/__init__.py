"""Dashboard pages: each module defines ``layout(ctx)`` (the page's components, built per visit)
and ``register(app, ctx)`` (its callbacks). Dash is imported inside those functions."""
