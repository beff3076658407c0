"""The GraphQL API at /graphql, served by strawberry inside Litestar."""
