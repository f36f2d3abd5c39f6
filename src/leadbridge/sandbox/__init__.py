"""A Salesforce-compatible CRM server for tests, demos and dry runs (HTTPS, its own SQLite store).

    from leadbridge.sandbox import SandboxConfig, SandboxServer

    with SandboxServer(tmp_path, config=SandboxConfig(security_token="tok")) as srv:
        srv.instance_url, srv.ca_bundle, srv.username, srv.password     # what clients need
        srv.faults.fail_next("lock", count=2, path="/composite/sobjects") # the next 2 matching requests fail
        srv.faults.fail_next("unavailable")                            # the next API request gets a 503
        srv.faults.clear()                                             # every fault off
        srv.config.permissions["Lead"] = {"access": "read",            # effective on the next request
                                          "read_only_fields": ["Title"], "hidden_fields": ["Rating"]}
        srv.org.convert_lead(lead_id) / srv.org.merge("Lead", master, [loser])   # server-side actions

`SandboxProcess(dir)` runs it in its own process instead (`python -m leadbridge.sandbox`), as a
real CRM is another machine (benchmarks): the same client-facing attributes, but no `org` (read
its state through the API).

Fault kinds: "unavailable" (503 SERVER_UNAVAILABLE), "lock" (UNABLE_TO_LOCK_ROW: a 400 on a
single-record write, every record of a collection, every row of a Bulk job), "drop" (the
write is applied, then the connection drops), "ratelimit" (403 REQUEST_LIMIT_EXCEEDED),
"expire" (401 INVALID_SESSION_ID; every session ends). Rates and path scopes go in the spec
string: `SandboxServer(dir, faults="unavailable@/query=1.0,lock=0.05", seed=7)` (faults.py).

Login security (SandboxConfig): `security_token` (None: never needed), `trusted_ip_ranges`
(default 127.0.0.0/8), `login_ip_ranges` (the profile's; outside them logins fail with
LOGIN_DURING_RESTRICTED_DOMAIN). Outside the trusted ranges a password without the token
fails with LOGIN_MUST_USE_SECURITY_TOKEN over SOAP (auth.py).

Permissions (SandboxConfig.permissions): per object `access` all | read | none,
`read_only_fields`, `hidden_fields`; describe, queries and writes follow them.
"""

from leadbridge.sandbox.config import ObjectPermission, SandboxConfig
from leadbridge.sandbox.server import SandboxProcess, SandboxServer

__all__ = ["ObjectPermission", "SandboxConfig", "SandboxProcess", "SandboxServer"]
