"""Schemathesis hooks: real edXML messages for `POST /api/v1/documents`.

docs/exchange-api.yaml documents the body of `POST /api/v1/documents` as `application/xml`
bytes (`format: binary`), so on its own schemathesis sends random bytes, which the endpoint
refuses as `422 invalid_edxml` before any of the interesting logic. These hooks make it send
edXML messages (QCVN 102:2016) that reach every answer of the operation:

- `201`/`200` (a new document, or a retry): `From` is the caller's organ and every
  `Reference` names a complete blob; the PDFs among them are verified (an unsigned one is
  recorded with status `02`), the rest arrive with `01` and are delivered to each `To`, which
  is often the caller's own organ, so `GET /api/v1/inbox` and its links get new entries;
- `403 sender_mismatch`: `From` is another organ's agency code;
- `409 attachment_missing`: a `ContentId` names a blob the server does not hold;
- `422 invalid_edxml`: an `OrganId` that is not an agency code, an empty `AttachmentName` or
  `DocumentId`, a malformed `ContentId`, an `AttachmentEncoded` section;
- `422 idempotency_conflict`: the generated `Idempotency-Key` is reused for another message.

Used by scripts/check-api.sh (`SCHEMATHESIS_HOOKS=tests/api/edxml_hooks.py st run ...`),
which sets, from what it seeded the server with:

    KYSO_API_ORGAN   the caller's organ                     (default 000.00.00.H35)
    KYSO_API_PEER    another organ the server has a client for  (default 000.01.35.H35)
    KYSO_API_BLOBS   the sha256 of complete blobs, space-separated
                     (default: the 33-byte blob of the yaml's examples)
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from xml.sax.saxutils import escape

import schemathesis
from hypothesis import strategies as st

CALLER = os.environ.get("KYSO_API_ORGAN", "000.00.00.H35")
PEER = os.environ.get("KYSO_API_PEER", "000.01.35.H35")
BLOBS = os.environ.get(
    "KYSO_API_BLOBS", "64ba258c9bb7a31da9fea8da0b46489a32e6f0c850e7028bf8b5a5c7ce09b53b"
).split()
NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

# Vietnamese text, with the characters XML must escape.
VI = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợ"
    "úùủũụứừửữựýỳỷỹỵ ĐƯƠ<>&\"'0123456789/-"
)
text = st.text(alphabet=VI, min_size=0, max_size=40)

# Agency codes (QĐ 20/2020/QĐ-TTg): mostly the caller's and its peer's, one the server has
# no client for (Văn phòng Chính phủ), and a few that are not agency codes at all.
organ = st.sampled_from(
    [CALLER] * 4 + [PEER] * 4 + ["000.00.00.G22"] * 3 + ["", "H35", "000.00.00.h35 "]
)
sha256 = st.one_of(
    st.sampled_from(BLOBS),
    st.sampled_from(BLOBS),
    st.sampled_from(BLOBS),
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),  # not on the server
    st.text(alphabet="0123456789abcdefABCDEF:", min_size=0, max_size=70),  # malformed
)
attachment_name = st.one_of(
    st.sampled_from(["qd-123.pdf", "Quyết định.PDF", "ghi-chu.txt", "", "  "]), text
)
content_type = st.sampled_from(["application/pdf", "application/octet-stream", "text/plain", ""])


@st.composite
def edxml(draw: st.DrawFn) -> bytes:
    """One edXML message: header, manifest, sometimes a forbidden AttachmentEncoded."""
    sender = draw(organ)
    receivers = draw(st.lists(st.tuples(organ, text), min_size=1, max_size=3))
    references = draw(
        st.lists(st.tuples(attachment_name, content_type, sha256), min_size=0, max_size=3)
    )
    number = draw(st.integers(min_value=0, max_value=99999))
    subject = draw(st.one_of(st.just("Về việc phê duyệt kế hoạch chuyển đổi số"), text))
    document_id = draw(
        st.one_of(st.just(f"{sender},2026/11/20,{number}/QĐ-UBND"), text)
    )
    encoded = draw(st.integers(min_value=0, max_value=7)) == 0

    x = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<edXML xmlns="{NS}">',
        f'<edXML:edXMLEnvelope xmlns:edXML="{NS}">',
        "<edXML:edXMLHeader><edXML:MessageHeader>",
        f"<edXML:From><edXML:OrganId>{escape(sender)}</edXML:OrganId>"
        "<edXML:OrganName>Ủy ban nhân dân tỉnh Hà Nam</edXML:OrganName></edXML:From>",
    ]
    for organ_id, organ_name in receivers:
        x.append(
            f"<edXML:To><edXML:OrganId>{escape(organ_id)}</edXML:OrganId>"
            f"<edXML:OrganName>{escape(organ_name)}</edXML:OrganName></edXML:To>"
        )
    x += [
        f"<edXML:DocumentId>{escape(document_id)}</edXML:DocumentId>",
        f"<edXML:Code><edXML:CodeNumber>{number}</edXML:CodeNumber>"
        "<edXML:CodeNotation>QĐ-UBND</edXML:CodeNotation></edXML:Code>",
        f"<edXML:Subject>{escape(subject)}</edXML:Subject>",
        "</edXML:MessageHeader><edXML:TraceHeaderList/></edXML:edXMLHeader>",
        '<edXML:edXMLBody><edXML:edXMLManifest version="1.0">',
    ]
    for name, ctype, sha in references:
        x.append(
            f"<edXML:Reference><edXML:AttachmentName>{escape(name)}</edXML:AttachmentName>"
            f"<edXML:ContentType>{ctype}</edXML:ContentType>"
            f"<edXML:ContentId>sha256:{sha}</edXML:ContentId></edXML:Reference>"
        )
    x.append("</edXML:edXMLManifest></edXML:edXMLBody></edXML:edXMLEnvelope>")
    if encoded and references:
        name, ctype, sha = references[0]
        x.append(
            f"<AttachmentEncoded><Attachment><AttachmentName>{escape(name)}</AttachmentName>"
            f"<ContentType>{ctype}</ContentType><ContentId>sha256:{sha}</ContentId>"
            "<ContentTransferEncoded>aGVsbG8=</ContentTransferEncoded></Attachment></AttachmentEncoded>"
        )
    x.append("</edXML>")
    return "\n".join(x).encode("utf-8")


schemathesis.openapi.media_type("application/xml", edxml())


@schemathesis.serializer("application/xml")
def xml_bytes(ctx, value) -> bytes:
    """The generated messages as they are; anything else as UTF-8 text."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


@schemathesis.hook
def before_load_schema(ctx, raw_schema) -> None:
    """The yaml's example message as bytes, so that the Examples phase sends it too.

    With a strategy registered for `application/xml`, schemathesis takes only bytes as an
    explicit body; the example, a YAML string, would be reported "Serialization not possible".
    """
    post = raw_schema["paths"]["/api/v1/documents"]["post"]
    media = post["requestBody"]["content"]["application/xml"]
    if isinstance(media.get("example"), str):
        media["example"] = media["example"].encode("utf-8")


# What the operation documents as an acceptable Idempotency-Key (visible ASCII, trimmed).
VALID_KEY = re.compile(r"[!-~]([ -~]*[!-~])?")


@schemathesis.hook
def before_call(ctx, case, **kwargs) -> None:
    """Mostly one key per message, so that documents are created rather than refused.

    Generated keys are short and repeat, which would make almost every POST an
    `idempotency_conflict`. Four valid keys in five are replaced by a UUID derived from
    the key and the body: the same message gets the same key (a retry, `200`), another
    message a new one (`201`). The fifth is kept, and so are invalid keys (`400`).
    """
    if case.operation.path != "/api/v1/documents" or not case.headers:
        return
    key = case.headers.get("Idempotency-Key")
    if not isinstance(key, str) or len(key) > 200 or not VALID_KEY.fullmatch(key):
        return
    body = case.body if isinstance(case.body, bytes) else repr(case.body).encode("utf-8")
    digest = hashlib.sha256(key.encode("utf-8") + b"\0" + body).digest()
    if digest[0] % 5:
        case.headers["Idempotency-Key"] = str(uuid.UUID(bytes=digest[:16], version=4))
