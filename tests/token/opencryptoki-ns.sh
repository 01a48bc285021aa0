#!/bin/sh
# opencryptoki's soft token for the tests: a real PKCS#11 module that counts wrong user PINs
# (CKF_USER_PIN_COUNT_LOW, then FINAL_TRY, then LOCKED after three), which SoftHSM2 never
# does. opencryptoki hard-codes its paths (/etc/opencryptoki, /var/lib/opencryptoki,
# /run/lock/opencryptoki, /run/pkcsslotd.socket) and a SysV shared-memory key, so each test
# gets private copies of them in its own mount and IPC namespaces:
#
#   unshare [--user --map-root-user] --mount --ipc --propagation private -- \
#     sh tests/token/opencryptoki-ns.sh DIR
#
# then runs its commands with `nsenter -t PID -m -i [-U --preserve-credentials] --`. When not
# root (KYSO_OCK_USERNS=1, inside a user namespace), the group pkcs11 that pkcsslotd hands its
# shared memory to is made to name our own mapped group. The daemon runs in the foreground;
# killing it ends the namespaces and everything in them. Nothing outside DIR changes.
set -eu
D=$1
mkdir -p "$D/etc" "$D/lib/swtok/TOK_OBJ"
if [ "${KYSO_OCK_USERNS:-0}" = 1 ]; then
  { grep -v '^pkcs11:' /etc/group; echo "pkcs11:x:$(id -g):"; } > "$D/group"
  mount --bind "$D/group" /etc/group
fi
cat > "$D/etc/opencryptoki.conf" <<CONF
version opencryptoki-3.1
slot 0
{
stdll = libpkcs11_sw.so
description = "Kyso test soft token"
}
CONF
mount --bind "$D/etc" /etc/opencryptoki
mount --bind "$D/lib" /var/lib/opencryptoki
mount -t tmpfs -o mode=0755 tmpfs /run          # /var/run and /var/lock point into /run
mkdir -p /run/lock/opencryptoki/swtok
chgrp -R pkcs11 "$D/lib" /run/lock/opencryptoki
chmod -R g+rwX "$D/lib" /run/lock/opencryptoki
exec /usr/sbin/pkcsslotd -f
