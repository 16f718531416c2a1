"""Sign in: the OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from service.access.accounts import authenticate
from service.access.security import issue_token

router = APIRouter(prefix="/auth", tags=["auth"])

MAX_USERNAME, MAX_PASSWORD = 64, 256


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds


@router.post("/token")
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
    account = authenticate(request.app.state.engine, form.username, form.password)
    if account is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    settings = request.app.state.settings
    return Token(
        access_token=issue_token(account, settings), expires_in=settings.token_minutes * 60
    )
