"""Sign in: the OAuth2 password flow, throttled per account and per client address
(`service.access.sign_in`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from service.access.security import issue_token
from service.access.sign_in import SignInRefused, Throttled, throttled_sign_in
from service.api.schemas import Problem

router = APIRouter(prefix="/auth", tags=["auth"])

MAX_USERNAME, MAX_PASSWORD = 64, 256


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds


#: What a refused sign-in answers, whatever the reason (wrong password, unknown name, disabled
#: or locked account): the answer tells no one which names exist or are locked.
WRONG = (
    "wrong username or password (after {failures} refused sign-ins within {window} minutes an "
    "account is locked for {lockout} minutes)"
)


@router.post(
    "/token",
    responses={
        401: {"model": Problem, "description": WRONG.format(failures="n", window="w", lockout="l")},
        429: {
            "model": Problem,
            "description": "Too many refused sign-ins from this client address: refused for "
            "the seconds `Retry-After` says (`JENJANG_SIGN_IN_ADDRESS_FAILURES`).",
            "headers": {
                "Retry-After": {
                    "description": "Seconds until this address may sign in again.",
                    "schema": {"type": "integer"},
                }
            },
        },
    },
)
def sign_in(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """A bearer token for a username and password (form fields, OAuth2 password flow)."""
    if len(form.username) > MAX_USERNAME or len(form.password) > MAX_PASSWORD:
        # refused before hashing: a huge password would make argon2 a denial of service
        field = "password" if len(form.password) > MAX_PASSWORD else "username"
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "type": "value_error",
                    "loc": ["body", field],
                    "msg": f"at most {MAX_USERNAME} characters of username and {MAX_PASSWORD} of "
                    "password",
                    "input": None,
                }
            ],
        )
    settings = request.app.state.settings
    address = request.client.host if request.client else "unknown"
    engine = request.app.state.engine
    try:
        account = throttled_sign_in(engine, settings, form.username, form.password, address, "api")
    except Throttled as throttled:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many refused sign-ins from this address: try again later",
            headers={"Retry-After": str(throttled.retry_after)},
        ) from None
    except SignInRefused:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            WRONG.format(
                failures=settings.sign_in_account_failures,
                window=settings.sign_in_window_minutes,
                lockout=settings.sign_in_lockout_minutes,
            ),
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    return Token(
        access_token=issue_token(account, settings), expires_in=settings.token_minutes * 60
    )
