"""Form shapes for the dashboard; domain rules live in the services, which the forms call."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    team = StringField("Team", validators=[DataRequired("Enter your team's name.")])
    email = EmailField("Email", validators=[DataRequired("Enter your email.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    next = StringField()
