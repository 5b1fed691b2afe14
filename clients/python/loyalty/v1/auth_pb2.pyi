import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from loyalty.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClientType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLIENT_TYPE_UNSPECIFIED: _ClassVar[ClientType]
    CLIENT_TYPE_CONFIDENTIAL: _ClassVar[ClientType]
    CLIENT_TYPE_PUBLIC: _ClassVar[ClientType]

class CredentialState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDENTIAL_STATE_UNSPECIFIED: _ClassVar[CredentialState]
    CREDENTIAL_STATE_ACTIVE: _ClassVar[CredentialState]
    CREDENTIAL_STATE_DISABLED: _ClassVar[CredentialState]

class GrantType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GRANT_TYPE_UNSPECIFIED: _ClassVar[GrantType]
    GRANT_TYPE_AUTHORIZATION_CODE: _ClassVar[GrantType]
    GRANT_TYPE_REFRESH_TOKEN: _ClassVar[GrantType]
    GRANT_TYPE_CLIENT_CREDENTIALS: _ClassVar[GrantType]

class TokenTypeHint(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOKEN_TYPE_HINT_UNSPECIFIED: _ClassVar[TokenTypeHint]
    TOKEN_TYPE_HINT_ACCESS_TOKEN: _ClassVar[TokenTypeHint]
    TOKEN_TYPE_HINT_REFRESH_TOKEN: _ClassVar[TokenTypeHint]

class SigningAlgorithm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNING_ALGORITHM_UNSPECIFIED: _ClassVar[SigningAlgorithm]
    SIGNING_ALGORITHM_EDDSA: _ClassVar[SigningAlgorithm]
    SIGNING_ALGORITHM_ES256: _ClassVar[SigningAlgorithm]

class SigningKeyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNING_KEY_STATE_UNSPECIFIED: _ClassVar[SigningKeyState]
    SIGNING_KEY_STATE_ACTIVE: _ClassVar[SigningKeyState]
    SIGNING_KEY_STATE_VERIFY_ONLY: _ClassVar[SigningKeyState]
    SIGNING_KEY_STATE_RETIRED: _ClassVar[SigningKeyState]

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_ADMIN: _ClassVar[Role]
    ROLE_POS: _ClassVar[Role]
    ROLE_PARTNER: _ClassVar[Role]
    ROLE_INTERNAL: _ClassVar[Role]

class GrantState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GRANT_STATE_UNSPECIFIED: _ClassVar[GrantState]
    GRANT_STATE_ACTIVE: _ClassVar[GrantState]
    GRANT_STATE_REVOKED: _ClassVar[GrantState]
    GRANT_STATE_EXPIRED: _ClassVar[GrantState]

class GrantRevokeReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GRANT_REVOKE_REASON_UNSPECIFIED: _ClassVar[GrantRevokeReason]
    GRANT_REVOKE_REASON_CLIENT_REVOKED: _ClassVar[GrantRevokeReason]
    GRANT_REVOKE_REASON_DEACTIVATED: _ClassVar[GrantRevokeReason]
    GRANT_REVOKE_REASON_CODE_REUSED: _ClassVar[GrantRevokeReason]
    GRANT_REVOKE_REASON_REFRESH_TOKEN_REUSED: _ClassVar[GrantRevokeReason]
    GRANT_REVOKE_REASON_CLIENT_DISABLED: _ClassVar[GrantRevokeReason]
    GRANT_REVOKE_REASON_MEMBER_INACTIVE: _ClassVar[GrantRevokeReason]

class AuditOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIT_OUTCOME_UNSPECIFIED: _ClassVar[AuditOutcome]
    AUDIT_OUTCOME_SUCCESS: _ClassVar[AuditOutcome]
    AUDIT_OUTCOME_FAILURE: _ClassVar[AuditOutcome]
CLIENT_TYPE_UNSPECIFIED: ClientType
CLIENT_TYPE_CONFIDENTIAL: ClientType
CLIENT_TYPE_PUBLIC: ClientType
CREDENTIAL_STATE_UNSPECIFIED: CredentialState
CREDENTIAL_STATE_ACTIVE: CredentialState
CREDENTIAL_STATE_DISABLED: CredentialState
GRANT_TYPE_UNSPECIFIED: GrantType
GRANT_TYPE_AUTHORIZATION_CODE: GrantType
GRANT_TYPE_REFRESH_TOKEN: GrantType
GRANT_TYPE_CLIENT_CREDENTIALS: GrantType
TOKEN_TYPE_HINT_UNSPECIFIED: TokenTypeHint
TOKEN_TYPE_HINT_ACCESS_TOKEN: TokenTypeHint
TOKEN_TYPE_HINT_REFRESH_TOKEN: TokenTypeHint
SIGNING_ALGORITHM_UNSPECIFIED: SigningAlgorithm
SIGNING_ALGORITHM_EDDSA: SigningAlgorithm
SIGNING_ALGORITHM_ES256: SigningAlgorithm
SIGNING_KEY_STATE_UNSPECIFIED: SigningKeyState
SIGNING_KEY_STATE_ACTIVE: SigningKeyState
SIGNING_KEY_STATE_VERIFY_ONLY: SigningKeyState
SIGNING_KEY_STATE_RETIRED: SigningKeyState
ROLE_UNSPECIFIED: Role
ROLE_ADMIN: Role
ROLE_POS: Role
ROLE_PARTNER: Role
ROLE_INTERNAL: Role
GRANT_STATE_UNSPECIFIED: GrantState
GRANT_STATE_ACTIVE: GrantState
GRANT_STATE_REVOKED: GrantState
GRANT_STATE_EXPIRED: GrantState
GRANT_REVOKE_REASON_UNSPECIFIED: GrantRevokeReason
GRANT_REVOKE_REASON_CLIENT_REVOKED: GrantRevokeReason
GRANT_REVOKE_REASON_DEACTIVATED: GrantRevokeReason
GRANT_REVOKE_REASON_CODE_REUSED: GrantRevokeReason
GRANT_REVOKE_REASON_REFRESH_TOKEN_REUSED: GrantRevokeReason
GRANT_REVOKE_REASON_CLIENT_DISABLED: GrantRevokeReason
GRANT_REVOKE_REASON_MEMBER_INACTIVE: GrantRevokeReason
AUDIT_OUTCOME_UNSPECIFIED: AuditOutcome
AUDIT_OUTCOME_SUCCESS: AuditOutcome
AUDIT_OUTCOME_FAILURE: AuditOutcome

class PartnerClient(_message.Message):
    __slots__ = ("client_id", "name", "description", "client_type", "redirect_uris", "scopes", "state", "secret_hint", "tenant_code", "create_time", "update_time", "secret_rotate_time", "disable_time", "etag")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URIS_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SECRET_HINT_FIELD_NUMBER: _ClassVar[int]
    TENANT_CODE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SECRET_ROTATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DISABLE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    name: str
    description: str
    client_type: ClientType
    redirect_uris: _containers.RepeatedScalarFieldContainer[str]
    scopes: _containers.RepeatedScalarFieldContainer[str]
    state: CredentialState
    secret_hint: str
    tenant_code: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    secret_rotate_time: _timestamp_pb2.Timestamp
    disable_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, client_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., client_type: _Optional[_Union[ClientType, str]] = ..., redirect_uris: _Optional[_Iterable[str]] = ..., scopes: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[CredentialState, str]] = ..., secret_hint: _Optional[str] = ..., tenant_code: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., secret_rotate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., disable_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class CreatePartnerClientRequest(_message.Message):
    __slots__ = ("partner_client", "request_id")
    PARTNER_CLIENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    partner_client: PartnerClient
    request_id: str
    def __init__(self, partner_client: _Optional[_Union[PartnerClient, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreatePartnerClientResponse(_message.Message):
    __slots__ = ("partner_client", "client_secret")
    PARTNER_CLIENT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    partner_client: PartnerClient
    client_secret: str
    def __init__(self, partner_client: _Optional[_Union[PartnerClient, _Mapping]] = ..., client_secret: _Optional[str] = ...) -> None: ...

class GetPartnerClientRequest(_message.Message):
    __slots__ = ("client_id",)
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    def __init__(self, client_id: _Optional[str] = ...) -> None: ...

class GetPartnerClientResponse(_message.Message):
    __slots__ = ("partner_client",)
    PARTNER_CLIENT_FIELD_NUMBER: _ClassVar[int]
    partner_client: PartnerClient
    def __init__(self, partner_client: _Optional[_Union[PartnerClient, _Mapping]] = ...) -> None: ...

class ListPartnerClientsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: CredentialState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[CredentialState, str]] = ...) -> None: ...

class ListPartnerClientsResponse(_message.Message):
    __slots__ = ("partner_clients", "next_page_token")
    PARTNER_CLIENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    partner_clients: _containers.RepeatedCompositeFieldContainer[PartnerClient]
    next_page_token: str
    def __init__(self, partner_clients: _Optional[_Iterable[_Union[PartnerClient, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdatePartnerClientRequest(_message.Message):
    __slots__ = ("partner_client", "update_mask", "request_id")
    PARTNER_CLIENT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    partner_client: PartnerClient
    update_mask: _field_mask_pb2.FieldMask
    request_id: str
    def __init__(self, partner_client: _Optional[_Union[PartnerClient, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdatePartnerClientResponse(_message.Message):
    __slots__ = ("partner_client",)
    PARTNER_CLIENT_FIELD_NUMBER: _ClassVar[int]
    partner_client: PartnerClient
    def __init__(self, partner_client: _Optional[_Union[PartnerClient, _Mapping]] = ...) -> None: ...

class RotatePartnerClientSecretRequest(_message.Message):
    __slots__ = ("client_id", "previous_secret_ttl_seconds", "request_id")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SECRET_TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    previous_secret_ttl_seconds: int
    request_id: str
    def __init__(self, client_id: _Optional[str] = ..., previous_secret_ttl_seconds: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class RotatePartnerClientSecretResponse(_message.Message):
    __slots__ = ("partner_client", "client_secret", "previous_secret_expire_time")
    PARTNER_CLIENT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SECRET_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    partner_client: PartnerClient
    client_secret: str
    previous_secret_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, partner_client: _Optional[_Union[PartnerClient, _Mapping]] = ..., client_secret: _Optional[str] = ..., previous_secret_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DisablePartnerClientRequest(_message.Message):
    __slots__ = ("client_id", "reason", "keep_grants", "request_id")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    KEEP_GRANTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    reason: str
    keep_grants: bool
    request_id: str
    def __init__(self, client_id: _Optional[str] = ..., reason: _Optional[str] = ..., keep_grants: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class DisablePartnerClientResponse(_message.Message):
    __slots__ = ("partner_client", "grants_revoked")
    PARTNER_CLIENT_FIELD_NUMBER: _ClassVar[int]
    GRANTS_REVOKED_FIELD_NUMBER: _ClassVar[int]
    partner_client: PartnerClient
    grants_revoked: int
    def __init__(self, partner_client: _Optional[_Union[PartnerClient, _Mapping]] = ..., grants_revoked: _Optional[int] = ...) -> None: ...

class AuthorizationParameters(_message.Message):
    __slots__ = ("client_id", "response_type", "scope", "redirect_uri", "channel", "transaction_id", "state", "code_challenge", "code_challenge_method")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CODE_CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    CODE_CHALLENGE_METHOD_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    response_type: str
    scope: str
    redirect_uri: str
    channel: _common_pb2.Channel
    transaction_id: str
    state: str
    code_challenge: str
    code_challenge_method: str
    def __init__(self, client_id: _Optional[str] = ..., response_type: _Optional[str] = ..., scope: _Optional[str] = ..., redirect_uri: _Optional[str] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., transaction_id: _Optional[str] = ..., state: _Optional[str] = ..., code_challenge: _Optional[str] = ..., code_challenge_method: _Optional[str] = ...) -> None: ...

class ValidateAuthorizationRequest(_message.Message):
    __slots__ = ("parameters",)
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    parameters: AuthorizationParameters
    def __init__(self, parameters: _Optional[_Union[AuthorizationParameters, _Mapping]] = ...) -> None: ...

class ValidateAuthorizationResponse(_message.Message):
    __slots__ = ("client_name", "scopes", "scope_descriptions")
    CLIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    SCOPE_DESCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    client_name: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    scope_descriptions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, client_name: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., scope_descriptions: _Optional[_Iterable[str]] = ...) -> None: ...

class IssueAuthorizationCodeRequest(_message.Message):
    __slots__ = ("parameters", "member_session_token")
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    MEMBER_SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parameters: AuthorizationParameters
    member_session_token: str
    def __init__(self, parameters: _Optional[_Union[AuthorizationParameters, _Mapping]] = ..., member_session_token: _Optional[str] = ...) -> None: ...

class IssueAuthorizationCodeResponse(_message.Message):
    __slots__ = ("code", "expire_time", "scope", "transaction_id", "state", "redirect_url")
    CODE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URL_FIELD_NUMBER: _ClassVar[int]
    code: str
    expire_time: _timestamp_pb2.Timestamp
    scope: str
    transaction_id: str
    state: str
    redirect_url: str
    def __init__(self, code: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scope: _Optional[str] = ..., transaction_id: _Optional[str] = ..., state: _Optional[str] = ..., redirect_url: _Optional[str] = ...) -> None: ...

class ExchangeTokenRequest(_message.Message):
    __slots__ = ("grant_type", "client_id", "client_secret", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "channel", "transaction_id", "state")
    GRANT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    CODE_VERIFIER_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    grant_type: GrantType
    client_id: str
    client_secret: str
    code: str
    redirect_uri: str
    code_verifier: str
    refresh_token: str
    scope: str
    channel: _common_pb2.Channel
    transaction_id: str
    state: str
    def __init__(self, grant_type: _Optional[_Union[GrantType, str]] = ..., client_id: _Optional[str] = ..., client_secret: _Optional[str] = ..., code: _Optional[str] = ..., redirect_uri: _Optional[str] = ..., code_verifier: _Optional[str] = ..., refresh_token: _Optional[str] = ..., scope: _Optional[str] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., transaction_id: _Optional[str] = ..., state: _Optional[str] = ...) -> None: ...

class ExchangeTokenResponse(_message.Message):
    __slots__ = ("access_token", "token_type", "scope", "access_token_expires_in", "refresh_token_expires_in", "refresh_token", "transaction_id", "state", "expires_in_seconds", "access_token_expire_time", "refresh_token_expire_time", "grant_id", "member_id")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    token_type: str
    scope: str
    access_token_expires_in: str
    refresh_token_expires_in: str
    refresh_token: str
    transaction_id: str
    state: str
    expires_in_seconds: int
    access_token_expire_time: _timestamp_pb2.Timestamp
    refresh_token_expire_time: _timestamp_pb2.Timestamp
    grant_id: str
    member_id: str
    def __init__(self, access_token: _Optional[str] = ..., token_type: _Optional[str] = ..., scope: _Optional[str] = ..., access_token_expires_in: _Optional[str] = ..., refresh_token_expires_in: _Optional[str] = ..., refresh_token: _Optional[str] = ..., transaction_id: _Optional[str] = ..., state: _Optional[str] = ..., expires_in_seconds: _Optional[int] = ..., access_token_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., refresh_token_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., grant_id: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class RevokeTokenRequest(_message.Message):
    __slots__ = ("client_id", "client_secret", "token", "token_type_hint", "channel", "transaction_id")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_HINT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    client_secret: str
    token: str
    token_type_hint: TokenTypeHint
    channel: _common_pb2.Channel
    transaction_id: str
    def __init__(self, client_id: _Optional[str] = ..., client_secret: _Optional[str] = ..., token: _Optional[str] = ..., token_type_hint: _Optional[_Union[TokenTypeHint, str]] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., transaction_id: _Optional[str] = ...) -> None: ...

class RevokeTokenResponse(_message.Message):
    __slots__ = ("status", "transaction_id")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    status: str
    transaction_id: str
    def __init__(self, status: _Optional[str] = ..., transaction_id: _Optional[str] = ...) -> None: ...

class Jwk(_message.Message):
    __slots__ = ("kty", "crv", "x", "y", "kid", "alg", "use")
    KTY_FIELD_NUMBER: _ClassVar[int]
    CRV_FIELD_NUMBER: _ClassVar[int]
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    KID_FIELD_NUMBER: _ClassVar[int]
    ALG_FIELD_NUMBER: _ClassVar[int]
    USE_FIELD_NUMBER: _ClassVar[int]
    kty: str
    crv: str
    x: str
    y: str
    kid: str
    alg: str
    use: str
    def __init__(self, kty: _Optional[str] = ..., crv: _Optional[str] = ..., x: _Optional[str] = ..., y: _Optional[str] = ..., kid: _Optional[str] = ..., alg: _Optional[str] = ..., use: _Optional[str] = ...) -> None: ...

class GetJwksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetJwksResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[Jwk]
    def __init__(self, keys: _Optional[_Iterable[_Union[Jwk, _Mapping]]] = ...) -> None: ...

class SigningKey(_message.Message):
    __slots__ = ("kid", "algorithm", "state", "create_time", "rotate_time", "retire_time")
    KID_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ROTATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RETIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    kid: str
    algorithm: SigningAlgorithm
    state: SigningKeyState
    create_time: _timestamp_pb2.Timestamp
    rotate_time: _timestamp_pb2.Timestamp
    retire_time: _timestamp_pb2.Timestamp
    def __init__(self, kid: _Optional[str] = ..., algorithm: _Optional[_Union[SigningAlgorithm, str]] = ..., state: _Optional[_Union[SigningKeyState, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rotate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., retire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListSigningKeysRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSigningKeysResponse(_message.Message):
    __slots__ = ("signing_keys", "next_page_token")
    SIGNING_KEYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    signing_keys: _containers.RepeatedCompositeFieldContainer[SigningKey]
    next_page_token: str
    def __init__(self, signing_keys: _Optional[_Iterable[_Union[SigningKey, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RotateSigningKeyRequest(_message.Message):
    __slots__ = ("algorithm", "request_id")
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    algorithm: SigningAlgorithm
    request_id: str
    def __init__(self, algorithm: _Optional[_Union[SigningAlgorithm, str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RotateSigningKeyResponse(_message.Message):
    __slots__ = ("signing_key", "previous_signing_key")
    SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    signing_key: SigningKey
    previous_signing_key: SigningKey
    def __init__(self, signing_key: _Optional[_Union[SigningKey, _Mapping]] = ..., previous_signing_key: _Optional[_Union[SigningKey, _Mapping]] = ...) -> None: ...

class ClientContext(_message.Message):
    __slots__ = ("remote_address", "user_agent")
    REMOTE_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    remote_address: str
    user_agent: str
    def __init__(self, remote_address: _Optional[str] = ..., user_agent: _Optional[str] = ...) -> None: ...

class RegisterMemberRequest(_message.Message):
    __slots__ = ("email", "password", "given_name", "family_name", "phone", "time_zone", "client_id", "context", "request_id")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    GIVEN_NAME_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    given_name: str
    family_name: str
    phone: str
    time_zone: str
    client_id: str
    context: ClientContext
    request_id: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ..., given_name: _Optional[str] = ..., family_name: _Optional[str] = ..., phone: _Optional[str] = ..., time_zone: _Optional[str] = ..., client_id: _Optional[str] = ..., context: _Optional[_Union[ClientContext, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RegisterMemberResponse(_message.Message):
    __slots__ = ("member", "member_session_token", "session_expire_time")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    MEMBER_SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SESSION_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    member_session_token: str
    session_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., member_session_token: _Optional[str] = ..., session_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LoginMemberRequest(_message.Message):
    __slots__ = ("email", "password", "client_id", "context")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    client_id: str
    context: ClientContext
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ..., client_id: _Optional[str] = ..., context: _Optional[_Union[ClientContext, _Mapping]] = ...) -> None: ...

class LoginMemberResponse(_message.Message):
    __slots__ = ("member_id", "member_session_token", "session_expire_time")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SESSION_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    member_session_token: str
    session_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, member_id: _Optional[str] = ..., member_session_token: _Optional[str] = ..., session_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MemberAccount(_message.Message):
    __slots__ = ("member_id", "email", "locked", "lock_reason", "lock_expire_time", "failed_login_count", "last_login_time", "password_update_time")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    LOCK_REASON_FIELD_NUMBER: _ClassVar[int]
    LOCK_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    FAILED_LOGIN_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_LOGIN_TIME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    email: str
    locked: bool
    lock_reason: str
    lock_expire_time: _timestamp_pb2.Timestamp
    failed_login_count: int
    last_login_time: _timestamp_pb2.Timestamp
    password_update_time: _timestamp_pb2.Timestamp
    def __init__(self, member_id: _Optional[str] = ..., email: _Optional[str] = ..., locked: _Optional[bool] = ..., lock_reason: _Optional[str] = ..., lock_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., failed_login_count: _Optional[int] = ..., last_login_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., password_update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetMemberAccountRequest(_message.Message):
    __slots__ = ("member_id",)
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    def __init__(self, member_id: _Optional[str] = ...) -> None: ...

class GetMemberAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: MemberAccount
    def __init__(self, account: _Optional[_Union[MemberAccount, _Mapping]] = ...) -> None: ...

class ResetMemberPasswordRequest(_message.Message):
    __slots__ = ("member_id", "new_password", "reason", "request_id")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    new_password: str
    reason: str
    request_id: str
    def __init__(self, member_id: _Optional[str] = ..., new_password: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ResetMemberPasswordResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: MemberAccount
    def __init__(self, account: _Optional[_Union[MemberAccount, _Mapping]] = ...) -> None: ...

class LockMemberAccountRequest(_message.Message):
    __slots__ = ("member_id", "reason", "lock_expire_time", "request_id")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LOCK_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    reason: str
    lock_expire_time: _timestamp_pb2.Timestamp
    request_id: str
    def __init__(self, member_id: _Optional[str] = ..., reason: _Optional[str] = ..., lock_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class LockMemberAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: MemberAccount
    def __init__(self, account: _Optional[_Union[MemberAccount, _Mapping]] = ...) -> None: ...

class UnlockMemberAccountRequest(_message.Message):
    __slots__ = ("member_id", "reason", "request_id")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    reason: str
    request_id: str
    def __init__(self, member_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class UnlockMemberAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: MemberAccount
    def __init__(self, account: _Optional[_Union[MemberAccount, _Mapping]] = ...) -> None: ...

class ServiceAccount(_message.Message):
    __slots__ = ("service_account_id", "client_id", "name", "description", "role", "scopes", "cross_tenant", "state", "secret_hint", "tenant_code", "create_time", "secret_rotate_time", "disable_time", "token_ttl_seconds")
    SERVICE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    CROSS_TENANT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SECRET_HINT_FIELD_NUMBER: _ClassVar[int]
    TENANT_CODE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SECRET_ROTATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DISABLE_TIME_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    service_account_id: str
    client_id: str
    name: str
    description: str
    role: Role
    scopes: _containers.RepeatedScalarFieldContainer[str]
    cross_tenant: bool
    state: CredentialState
    secret_hint: str
    tenant_code: str
    create_time: _timestamp_pb2.Timestamp
    secret_rotate_time: _timestamp_pb2.Timestamp
    disable_time: _timestamp_pb2.Timestamp
    token_ttl_seconds: int
    def __init__(self, service_account_id: _Optional[str] = ..., client_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., scopes: _Optional[_Iterable[str]] = ..., cross_tenant: _Optional[bool] = ..., state: _Optional[_Union[CredentialState, str]] = ..., secret_hint: _Optional[str] = ..., tenant_code: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., secret_rotate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., disable_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., token_ttl_seconds: _Optional[int] = ...) -> None: ...

class CreateServiceAccountRequest(_message.Message):
    __slots__ = ("service_account", "request_id")
    SERVICE_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    service_account: ServiceAccount
    request_id: str
    def __init__(self, service_account: _Optional[_Union[ServiceAccount, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateServiceAccountResponse(_message.Message):
    __slots__ = ("service_account", "client_secret")
    SERVICE_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    service_account: ServiceAccount
    client_secret: str
    def __init__(self, service_account: _Optional[_Union[ServiceAccount, _Mapping]] = ..., client_secret: _Optional[str] = ...) -> None: ...

class GetServiceAccountRequest(_message.Message):
    __slots__ = ("service_account_id",)
    SERVICE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    service_account_id: str
    def __init__(self, service_account_id: _Optional[str] = ...) -> None: ...

class GetServiceAccountResponse(_message.Message):
    __slots__ = ("service_account",)
    SERVICE_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    service_account: ServiceAccount
    def __init__(self, service_account: _Optional[_Union[ServiceAccount, _Mapping]] = ...) -> None: ...

class ListServiceAccountsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "role", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    role: Role
    state: CredentialState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., state: _Optional[_Union[CredentialState, str]] = ...) -> None: ...

class ListServiceAccountsResponse(_message.Message):
    __slots__ = ("service_accounts", "next_page_token")
    SERVICE_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    service_accounts: _containers.RepeatedCompositeFieldContainer[ServiceAccount]
    next_page_token: str
    def __init__(self, service_accounts: _Optional[_Iterable[_Union[ServiceAccount, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RotateServiceAccountSecretRequest(_message.Message):
    __slots__ = ("service_account_id", "previous_secret_ttl_seconds", "request_id")
    SERVICE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SECRET_TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    service_account_id: str
    previous_secret_ttl_seconds: int
    request_id: str
    def __init__(self, service_account_id: _Optional[str] = ..., previous_secret_ttl_seconds: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class RotateServiceAccountSecretResponse(_message.Message):
    __slots__ = ("service_account", "client_secret", "previous_secret_expire_time")
    SERVICE_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SECRET_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    service_account: ServiceAccount
    client_secret: str
    previous_secret_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, service_account: _Optional[_Union[ServiceAccount, _Mapping]] = ..., client_secret: _Optional[str] = ..., previous_secret_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DisableServiceAccountRequest(_message.Message):
    __slots__ = ("service_account_id", "reason", "request_id")
    SERVICE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    service_account_id: str
    reason: str
    request_id: str
    def __init__(self, service_account_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DisableServiceAccountResponse(_message.Message):
    __slots__ = ("service_account",)
    SERVICE_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    service_account: ServiceAccount
    def __init__(self, service_account: _Optional[_Union[ServiceAccount, _Mapping]] = ...) -> None: ...

class Grant(_message.Message):
    __slots__ = ("grant_id", "client_id", "client_name", "member_id", "scopes", "channel", "transaction_id", "state", "revoke_reason", "create_time", "refresh_time", "revoke_time", "refresh_token_expire_time")
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    grant_id: str
    client_id: str
    client_name: str
    member_id: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    channel: _common_pb2.Channel
    transaction_id: str
    state: GrantState
    revoke_reason: GrantRevokeReason
    create_time: _timestamp_pb2.Timestamp
    refresh_time: _timestamp_pb2.Timestamp
    revoke_time: _timestamp_pb2.Timestamp
    refresh_token_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, grant_id: _Optional[str] = ..., client_id: _Optional[str] = ..., client_name: _Optional[str] = ..., member_id: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., transaction_id: _Optional[str] = ..., state: _Optional[_Union[GrantState, str]] = ..., revoke_reason: _Optional[_Union[GrantRevokeReason, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., refresh_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., refresh_token_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListGrantsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "member_id", "client_id", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    member_id: str
    client_id: str
    state: GrantState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., member_id: _Optional[str] = ..., client_id: _Optional[str] = ..., state: _Optional[_Union[GrantState, str]] = ...) -> None: ...

class ListGrantsResponse(_message.Message):
    __slots__ = ("grants", "next_page_token")
    GRANTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    grants: _containers.RepeatedCompositeFieldContainer[Grant]
    next_page_token: str
    def __init__(self, grants: _Optional[_Iterable[_Union[Grant, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeactivateGrantRequest(_message.Message):
    __slots__ = ("grant_id", "reason", "request_id")
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    grant_id: str
    reason: str
    request_id: str
    def __init__(self, grant_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeactivateGrantResponse(_message.Message):
    __slots__ = ("grant",)
    GRANT_FIELD_NUMBER: _ClassVar[int]
    grant: Grant
    def __init__(self, grant: _Optional[_Union[Grant, _Mapping]] = ...) -> None: ...

class AuditLogEntry(_message.Message):
    __slots__ = ("entry_id", "event_time", "actor", "actor_role", "action", "target_type", "target_id", "request_id", "remote_address", "user_agent", "outcome", "details", "tenant_code")
    class DetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REMOTE_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    TENANT_CODE_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    event_time: _timestamp_pb2.Timestamp
    actor: str
    actor_role: Role
    action: str
    target_type: str
    target_id: str
    request_id: str
    remote_address: str
    user_agent: str
    outcome: AuditOutcome
    details: _containers.ScalarMap[str, str]
    tenant_code: str
    def __init__(self, entry_id: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., actor_role: _Optional[_Union[Role, str]] = ..., action: _Optional[str] = ..., target_type: _Optional[str] = ..., target_id: _Optional[str] = ..., request_id: _Optional[str] = ..., remote_address: _Optional[str] = ..., user_agent: _Optional[str] = ..., outcome: _Optional[_Union[AuditOutcome, str]] = ..., details: _Optional[_Mapping[str, str]] = ..., tenant_code: _Optional[str] = ...) -> None: ...

class ListAuditLogEntriesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "actor", "action", "target_type", "target_id", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    actor: str
    action: str
    target_type: str
    target_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., target_type: _Optional[str] = ..., target_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAuditLogEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditLogEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditLogEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
