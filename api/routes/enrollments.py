"""Enrollments: recovery actions on one enrollment (its state: `GET /friends/{user_id}`)."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from temporalio.service import RPCError

from api.deps import Admin, ServicesDep, SessionDep
from api.errors import StrictJSONRoute
from api.schemas import EnrollmentPublic
from store.enrollment_ids import ENROLLMENT_ID_PATTERN
from store.tables import Enrollment
from triggers.retry import NotRetryable, retry_enrollment

router = APIRouter(
    prefix="/enrollments", tags=["enrollments"], dependencies=Admin, route_class=StrictJSONRoute
)

EnrollmentIdPath = Annotated[
    str,
    Path(
        pattern=ENROLLMENT_ID_PATTERN,
        max_length=200,
        description="the workflow id, `enrollment:{scenario_id}:{user_id}:{epoch}`",
    ),
]


@router.post(
    "/{enrollment_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EnrollmentPublic,
    responses={
        404: {"description": "no such enrollment"},
        409: {"description": "not `failed`, or a retry is already running (`detail` says)"},
        503: {"description": "Temporal unreachable: the enrollment stays `failed`"},
    },
)
async def retry(
    enrollment_id: EnrollmentIdPath, session: SessionDep, services: ServicesDep
) -> Enrollment:
    """Retry a `failed` enrollment once the cause is fixed (LINE refused a message step with
    a permanent 4xx: a bad message, an unknown user …). The failed step is pushed again,
    exactly once, and the enrollment goes on along the rest of its path, under the same id
    (a new run of its workflow); steps already sent are never sent again. The answer is the
    enrollment, back to `waiting` at the failed step. 409 when it is not `failed` (also while
    an earlier retry runs, so a double request never sends twice), or when its push may have
    reached LINE unanswered (a retry could send it twice)."""
    try:
        return await retry_enrollment(
            session,
            services.temporal,
            task_queue=services.settings.task_queue,
            enrollment_id=enrollment_id,
        )
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except NotRetryable as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    except (RPCError, RuntimeError) as exc:  # the transaction is rolled back: still failed
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"Temporal unreachable, nothing changed: {exc}"[:300],
        ) from None
