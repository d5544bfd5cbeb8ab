"""People at the till: users and roles with scrypt-hashed PINs, lockouts, and approvals."""

from till.staff.approvals import ALWAYS, ApprovalPolicy, ApprovalRequired
from till.staff.users import ROLES, AuthError, Role, StaffError, User, UserStore

__all__ = [
    "ALWAYS",
    "ROLES",
    "ApprovalPolicy",
    "ApprovalRequired",
    "AuthError",
    "Role",
    "StaffError",
    "User",
    "UserStore",
]
