#!/usr/bin/env bash
# A time-stamping authority for the tests: a TSA key and certificate issued by the test
# PKI's intermediate (so `--trust PKIDIR/root.pem` covers it), with the critical
# extendedKeyUsage timeStamping RFC 3161 §2.3 requires, and the `openssl ts -reply`
# configuration tests/tsa/tsa_server.py uses. Also two misbehaving TSA certificates, same
# issuer, for tsa_server.py --mode no-eku / eku-noncritical:
#
#   tests/tsa/make-tsa.sh OUTDIR PKIDIR
#
# Writes OUTDIR/
#   tsa.key, tsa.pem              CN="Kyso Test TSA", EKU critical timeStamping (the good one)
#   tsa-noeku.key, tsa-noeku.pem  CN="Kyso Test TSA (no EKU)", no extendedKeyUsage at all
#   tsa-eku-noncritical.key/.pem  CN="Kyso Test TSA (EKU not critical)", EKU timeStamping
#                                 present but NOT critical
#   tsa-chain.pem (inter + root), tsa.cnf, tsaserial
# All RSA 2048, keyUsage critical digitalSignature+nonRepudiation, valid from now for
# 2 years. `openssl ts -reply` refuses the last two as signers ("invalid signer
# certificate purpose"), so tsa_server.py builds their tokens itself. Always rebuilds
# (about 0.4 s: the three keys are generated in parallel).
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

genkey() { openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null \
           || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
pids=()
for k in tsa tsa-noeku tsa-eku-noncritical; do genkey "$W/$k.key" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done

cat > "$W/ext.cnf" <<'CNF'
[ v3_tsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = critical, timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_tsa_noeku ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_tsa_eku_noncritical ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
CNF

# issue NAME CN EXTENSIONS: NAME.pem for NAME.key, issued by the intermediate. A random
# serial, so that two runs never issue the same issuer+serial.
issue() {
  openssl req -new -utf8 -key "$W/$1.key" -subj "/C=VN/O=Ban Cơ yếu Thử nghiệm/CN=$2" \
    -out "$W/$1.csr"
  openssl x509 -req -in "$W/$1.csr" -CA "$PKI/inter.pem" -CAkey "$PKI/inter.key" \
    -set_serial "0x3$(openssl rand -hex 15)" -days 730 \
    -extfile "$W/ext.cnf" -extensions "$3" -sha256 -out "$W/$1.pem" 2>/dev/null
}
issue tsa "Kyso Test TSA" v3_tsa
issue tsa-noeku "Kyso Test TSA (no EKU)" v3_tsa_noeku
issue tsa-eku-noncritical "Kyso Test TSA (EKU not critical)" v3_tsa_eku_noncritical
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

chmod 600 "$W/tsa.key" "$W/tsa-noeku.key" "$W/tsa-eku-noncritical.key"
mv -f "$W/tsa.key" "$W/tsa.pem" "$W/tsa-noeku.key" "$W/tsa-noeku.pem" \
  "$W/tsa-eku-noncritical.key" "$W/tsa-eku-noncritical.pem" "$W/tsa-chain.pem" "$W/tsa.cnf" "$W/tsaserial" "$OUT/"
