"""Sign in: the OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from service.accounts import authenticate
from service.security import issue_token

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds


@router.post("/token")
def sign_in(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """A bearer token for a username and password (form fields, OAuth2 password flow)."""
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
