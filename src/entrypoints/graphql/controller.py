"""The Litestar controller that serves the schema at /graphql, with the contract's error shape."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from litestar import Request, Response
from litestar.types import ControllerRouterHandler
from strawberry.http import GraphQLHTTPResponse
from strawberry.http import process_result as plain_result
from strawberry.litestar import make_graphql_controller
from strawberry.types import ExecutionResult

from entrypoints.graphql.context import get_context
from entrypoints.graphql.errors import BAD_USER_INPUT, error_body, public_error
from entrypoints.graphql.schema import build_schema


def graphql_controller(*, graphiql: bool) -> ControllerRouterHandler:
    base: Any = make_graphql_controller(
        build_schema(),
        path="/graphql",
        context_getter=get_context,
        graphql_ide="graphiql" if graphiql else None,
        allow_queries_via_get=False,
    )

    class GraphQLController(base):  # type: ignore[misc]
        async def process_result(
            self, request: Request[Any, Any, Any], result: ExecutionResult
        ) -> GraphQLHTTPResponse:
            response = plain_result(result)
            if result.errors:
                response["errors"] = [public_error(error) for error in result.errors]
            return response

        async def execute_request(
            self, request: Request[Any, Any, Any], context: Any, root_value: Any
        ) -> Response[Any]:
            try:
                return await self.run(request, context=context, root_value=root_value)  # type: ignore[no-any-return]
            except HTTPException as error:  # a body that is not a GraphQL request at all
                return Response(
                    error_body(error.reason, BAD_USER_INPUT), status_code=error.status_code
                )

    return GraphQLController
