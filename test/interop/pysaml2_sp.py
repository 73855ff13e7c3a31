#!/usr/bin/python3
"""pysaml2 as a SAML SP: validates one SAMLResponse from the mock IdP. Prints JSON {ok, name_id, error}.

usage: pysaml2_sp.py METADATA_FILE ENTITY_ID ACS_URL REQUEST_ID|- < SAMLResponse(base64)
"""
import json
import sys

from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client
from saml2.config import SPConfig


def main() -> int:
    metadata, entity_id, acs, request_id = sys.argv[1:5]
    conf = SPConfig()
    conf.load({
        "entityid": entity_id,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"local": [metadata]},
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
            "want_assertions_signed": True,
            "want_response_signed": False,
            "allow_unsolicited": request_id == "-",
            "authn_requests_signed": False,
        }},
        "accepted_time_diff": 180,
    })
    client = Saml2Client(config=conf)
    b64 = sys.stdin.read().strip()
    outstanding = {} if request_id == "-" else {request_id: "/"}
    try:
        resp = client.parse_authn_request_response(b64, BINDING_HTTP_POST, outstanding=outstanding)
        if resp is None:
            print(json.dumps({"ok": False, "error": "no response"}))
            return 1
        print(json.dumps({"ok": True, "name_id": resp.name_id.text, "issuer": resp.issuer(), "attributes": sorted(resp.ava.keys())}))
        return 0
    except Exception as e:  # noqa: BLE001 - report any rejection as data
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
        return 1


if __name__ == "__main__":
    sys.exit(main())
