#!/usr/bin/env bash
# A time-stamping authority for the tests: a TSA key and certificate issued by the test
# PKI's intermediate (so `--trust PKIDIR/root.pem` covers it), with the critical
# extendedKeyUsage timeStamping RFC 3161 §2.3 requires, and the `openssl ts -reply`
# configuration tests/tsa/tsa_server.py uses.
#
#   tests/tsa/make-tsa.sh OUTDIR PKIDIR
#
# Writes OUTDIR/tsa.key, tsa.pem, tsa-chain.pem (inter + root), tsa.cnf, tsaserial.
# CN="Kyso Test TSA", valid from now for 2 years. Always rebuilds (about 0.3 s).
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 OUTDIR PKIDIR" >&2; exit 2; }
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
PKI="$(cd "$2" && pwd)"
for f in inter.pem inter.key root.pem; do
  [ -f "$PKI/$f" ] || { echo "make-tsa: $PKI/$f missing (run tests/pki/make-pki.sh)" >&2; exit 1; }
done

W="$(mktemp -d "$OUT/.work.XXXXXX")"
trap 'rm -rf "$W"' EXIT

openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/tsa.key" 2>/dev/null \
  || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/tsa.key" 2>/dev/null
cat > "$W/ext.cnf" <<'CNF'
[ v3_tsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = critical, timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
CNF
openssl req -new -utf8 -key "$W/tsa.key" -subj "/C=VN/O=Ban Cơ yếu Thử nghiệm/CN=Kyso Test TSA" \
  -out "$W/tsa.csr"
# A random serial, so that two runs never issue the same issuer+serial.
openssl x509 -req -in "$W/tsa.csr" -CA "$PKI/inter.pem" -CAkey "$PKI/inter.key" \
  -set_serial "0x3$(openssl rand -hex 15)" -days 730 \
  -extfile "$W/ext.cnf" -extensions v3_tsa -sha256 -out "$W/tsa.pem" 2>/dev/null
cat "$PKI/inter.pem" "$PKI/root.pem" > "$W/tsa-chain.pem"
echo 01 > "$W/tsaserial"

cat > "$W/tsa.cnf" <<CNF
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
serial                  = $OUT/tsaserial
crypto_device           = builtin
signer_digest           = sha256
default_policy          = 1.3.6.1.4.1.59999.3161.1
digests                 = sha256, sha384, sha512
accuracy                = secs:1
ordering                = no
tsa_name                = yes
ess_cert_id_chain       = no
ess_cert_id_alg         = sha256
CNF

chmod 600 "$W/tsa.key"
mv -f "$W/tsa.key" "$W/tsa.pem" "$W/tsa-chain.pem" "$W/tsa.cnf" "$W/tsaserial" "$OUT/"
