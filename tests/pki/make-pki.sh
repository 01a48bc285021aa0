#!/usr/bin/env bash
# Build Kyso's test PKI (Vietnamese UTF-8 subjects) into OUTDIR.
#
#   tests/pki/make-pki.sh OUTDIR
#
# Root "Kyso Test Root CA" -> intermediate "CA phục vụ các cơ quan Nhà nước Thử nghiệm"
# -> end-entity signers. Every .p12 uses the password in p12-password.txt
# ("Mật khẩu 123", UTF-8, no newline) unless its name says otherwise.
#
#   root.pem root.key inter.pem inter.key chain.pem (inter+root)
#   signer.pem signer.key            RSA 2048, CN=Nguyễn Văn An, 2 years from now
#   signer-modern.p12                AES-256-CBC/PBKDF2/HMAC-SHA256, key+cert+chain
#   signer-legacy.p12                -legacy: 3DES key, RC2-40 certs, SHA-1 MAC, +chain
#   signer-nochain.p12               modern, signer cert only
#   signer-emptypass.p12             modern, empty password ""
#   signer-3072.p12 / signer-4096.p12  CN=Trần Thị Bình (RSA 3072) / CN=Lê Văn Cường (RSA 4096), +chain
#   expired.p12                      signer valid 3 years ago .. 1 year ago only, +chain
#   badusage.p12                     keyUsage critical keyEncipherment only, +chain
#   nokey.p12                        certificates only (signer + chain), no key
#   nssdb/                           NSS db (sql:), root trusted CT,C,C, empty password (pdfsig -nssdir)
#   nssdb-signer/                    same plus signer-modern.p12 imported as nickname "kyso-signer"
#                                    (pdfsig -add-signature -nssdir sql:nssdb-signer -nick kyso-signer)
# Extra: <name>.pem/<name>.key for every signer, and the CA/NSS files are relocatable.
# Idempotent: exits at once when OUTDIR/root.pem exists (root.pem is written last).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT="$1"
[ -f "$OUT/root.pem" ] && exit 0

for t in openssl certutil pk12util; do
  command -v "$t" >/dev/null || { echo "make-pki: $t not found (run scripts/install-deps.sh)" >&2; exit 1; }
done

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
exec 9>"$OUT/.lock"
flock 9
[ -f "$OUT/root.pem" ] && exit 0      # made by a concurrent run while we waited

T0=$(date +%s.%N)
W="$(mktemp -d "$OUT/.work.XXXXXX")"
trap 'rm -rf "$W"' EXIT
cd "$W"

PASSFILE="$W/p12-password.txt"
printf '%s' 'Mật khẩu 123' > "$PASSFILE"

# ---- keys (in parallel: RSA 4096 dominates) ---------------------------------
genkey() { openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1.key" 2>/dev/null \
           || openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1.key" 2>/dev/null; }
pids=()
genkey root 2048 & pids+=($!)
genkey inter 2048 & pids+=($!)
genkey signer 2048 & pids+=($!)
genkey signer-3072 3072 & pids+=($!)
genkey signer-4096 4096 & pids+=($!)
genkey expired 2048 & pids+=($!)
genkey badusage 2048 & pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done

# ---- CA configuration -------------------------------------------------------
mkdir -p db-root db-inter
: > db-root/index.txt; : > db-inter/index.txt
# Random, positive starting serials so that certificates from two PKI builds never
# share issuer+serial (NSS refuses that).
openssl rand -hex 16 | sed "s/^./1/" > db-root/serial
openssl rand -hex 16 | sed "s/^./2/" > db-inter/serial

cat > ca.cnf <<'EOF'
[ ca ]
default_ca = CA_root

[ CA_root ]
dir              = ./db-root
database         = $dir/index.txt
serial           = $dir/serial
new_certs_dir    = $dir
certificate      = ./root.pem
private_key      = ./root.key
default_md       = sha256
policy           = policy_any
unique_subject   = no
copy_extensions  = none
email_in_dn      = no
preserve         = yes

[ CA_inter ]
dir              = ./db-inter
database         = $dir/index.txt
serial           = $dir/serial
new_certs_dir    = $dir
certificate      = ./inter.pem
private_key      = ./inter.key
default_md       = sha256
policy           = policy_any
unique_subject   = no
copy_extensions  = none
email_in_dn      = no
preserve         = yes

[ policy_any ]
commonName             = supplied
organizationName       = optional
organizationalUnitName = optional
localityName           = optional
stateOrProvinceName    = optional
countryName            = optional

[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes
prompt             = no
[ req_dn ]
CN = placeholder

[ v3_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ v3_inter ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_signer ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_badusage ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, keyEncipherment
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF

ts() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
NOW_MINUS_1H=$(ts '-1 hour')

# issue NAME SUBJECT CA_SECTION EXT_SECTION START END
issue() {
  local name=$1 subj=$2 ca=$3 ext=$4 start=$5 end=$6 extra=()
  openssl req -new -config ca.cnf -utf8 -key "$name.key" -subj "$subj" -out "$name.csr"
  [ "$ca" = selfsign ] && { ca=CA_root; extra=(-selfsign); }
  openssl ca -config ca.cnf -name "$ca" -batch -notext -utf8 -preserveDN "${extra[@]}" \
    -extensions "$ext" -startdate "$start" -enddate "$end" \
    -in "$name.csr" -out "$name.pem" 2>ca-$name.log \
    || { cat ca-$name.log >&2; return 1; }
}

issue root "/C=VN/O=Ban Cơ yếu Thử nghiệm/CN=Kyso Test Root CA" \
  selfsign v3_root "$(ts '-5 years')" "$(ts '+20 years')"
issue inter "/C=VN/O=Ban Cơ yếu Thử nghiệm/CN=CA phục vụ các cơ quan Nhà nước Thử nghiệm" \
  CA_root v3_inter "$(ts '-5 years')" "$(ts '+10 years')"
cat inter.pem root.pem > chain.pem

issue signer "/C=VN/L=Quảng Ngãi/O=Văn phòng Tỉnh ủy/CN=Nguyễn Văn An" \
  CA_inter v3_signer "$NOW_MINUS_1H" "$(ts '+2 years')"
issue signer-3072 "/C=VN/L=Hà Nội/O=Văn phòng Chính phủ Thử nghiệm/CN=Trần Thị Bình" \
  CA_inter v3_signer "$NOW_MINUS_1H" "$(ts '+2 years')"
issue signer-4096 "/C=VN/L=Thành phố Hồ Chí Minh/O=Sở Tư pháp Thử nghiệm/CN=Lê Văn Cường" \
  CA_inter v3_signer "$NOW_MINUS_1H" "$(ts '+2 years')"
issue expired "/C=VN/L=Huế/O=Sở Nội vụ Thử nghiệm/CN=Phạm Văn Dũng" \
  CA_inter v3_signer "$(ts '-3 years')" "$(ts '-1 year')"
issue badusage "/C=VN/L=Đà Nẵng/O=Sở Tài chính Thử nghiệm/CN=Hoàng Thị Én" \
  CA_inter v3_badusage "$NOW_MINUS_1H" "$(ts '+2 years')"

# ---- PKCS#12 ----------------------------------------------------------------
P12PW="file:$PASSFILE"
p12() {  # p12 OUT NAME FRIENDLY [openssl pkcs12 options...]
  local out=$1 name=$2 friendly=$3; shift 3
  openssl pkcs12 -export -inkey "$name.key" -in "$name.pem" -name "$friendly" -out "$out" "$@"
}
p12 signer-modern.p12    signer      "Nguyễn Văn An"  -certfile chain.pem -passout "$P12PW"
p12 signer-legacy.p12    signer      "Nguyễn Văn An"  -certfile chain.pem -passout "$P12PW" -legacy
p12 signer-nochain.p12   signer      "Nguyễn Văn An"  -passout "$P12PW"
p12 signer-emptypass.p12 signer      "Nguyễn Văn An"  -certfile chain.pem -passout pass:
p12 signer-3072.p12      signer-3072 "Trần Thị Bình"  -certfile chain.pem -passout "$P12PW"
p12 signer-4096.p12      signer-4096 "Lê Văn Cường"   -certfile chain.pem -passout "$P12PW"
p12 expired.p12          expired     "Phạm Văn Dũng"  -certfile chain.pem -passout "$P12PW"
p12 badusage.p12         badusage    "Hoàng Thị Én"   -certfile chain.pem -passout "$P12PW"
openssl pkcs12 -export -nokeys -in signer.pem -certfile chain.pem -name "Nguyễn Văn An" \
  -passout "$P12PW" -out nokey.p12

# ---- NSS databases for poppler's pdfsig -------------------------------------
mkdir nssdb
certutil -N -d sql:nssdb --empty-password
certutil -A -d sql:nssdb -n root -t "CT,C,C" -a -i root.pem
cp -r nssdb nssdb-signer
certutil -A -d sql:nssdb-signer -n inter -t ",," -a -i inter.pem
# NSS needs the key in a p12 it can read; import the signer under a fixed nickname.
openssl pkcs12 -export -inkey signer.key -in signer.pem -name kyso-signer -passout pass:nss \
  -out nss-import.tmp
pk12util -i nss-import.tmp -d sql:nssdb-signer -W nss -K '' >/dev/null

# ---- publish (root.pem last: its presence means "complete") ------------------
chmod 600 ./*.key
for f in inter.pem inter.key chain.pem \
         signer signer-3072 signer-4096 expired badusage; do
  case $f in *.*) cp -p "$f" "$OUT/$f" ;; *) cp -p "$f.pem" "$f.key" "$OUT/" ;; esac
done
cp -p root.key ./*.p12 "$PASSFILE" "$OUT/"
rm -rf "$OUT/nssdb" "$OUT/nssdb-signer"
cp -rp nssdb nssdb-signer "$OUT/"
cp -p root.pem "$OUT/root.pem.tmp" && mv "$OUT/root.pem.tmp" "$OUT/root.pem"
awk -v a="$T0" -v b="$(date +%s.%N)" -v o="$OUT" 'BEGIN { printf "make-pki: %s (%.1fs)\n", o, b - a }'
