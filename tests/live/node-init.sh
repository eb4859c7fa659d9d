#!/bin/bash
# PID 1 of one simulated cluster node (pacemakerd + corosync), started by its BMC's power-on
# (bmc-chassis.sh) in fresh network, mount, UTS, IPC and PID namespaces:
#   node-init.sh NODE STATE
# The node's disk is STATE/nodes/NODE/disk: overlays of the host's /etc, /usr and /var, so
# that what a run writes there (the CIB, links, logs) stays on this node and survives a
# power cycle, as on a real disk. /run and /dev/shm are fresh at every boot.
set -eu
node=$1
state=$2
here=$state/nodes/$node
switch=$state/ns/switch
exec >>"$here/boot.log" 2>&1 </dev/null
echo "power on: $(date +%T.%N)"
# held in POST while the harness says so (a real server takes minutes to boot: a test
# looks at the cell without the node, then lets it boot)
while [ -e "$here/hold-in-post" ]; do
    sleep 0.2
done

hostname "$node"
mount --make-rprivate /
for dir in etc usr var; do
    mount -t overlay "disk-$node-$dir" \
        -o "lowerdir=/$dir,upperdir=$here/disk/$dir,workdir=$here/work/$dir" "/$dir"
done
mount -t tmpfs -o mode=0755 run /run
mkdir -p /run/lock
mount -t tmpfs -o mode=1777 shm /dev/shm
# sbd resets a node through /proc/sysrq-trigger, then reboot(): here the first would reset
# the whole machine, the second ends this PID namespace only (the node's power-off). The
# node's own /proc (unshare --mount-proc) gets /dev/null over both sysrq files; set -e stops
# the boot if that fails.
for sysrq in /proc/sysrq-trigger /proc/sys/kernel/sysrq; do
    if [ -e "$sysrq" ]; then
        mount --bind /dev/null "$sysrq"
    fi
done

# NICs: one veth pair each, the other end plugged into its bridge in the switch namespace
# ("ip ... netns 1" is this process: ip resolves the PID in our own /proc)
ip link set lo up
while read -r nic port bridge address; do
    nsenter --net="$switch" ip link add "$port" type veth peer name "$nic" netns 1
    nsenter --net="$switch" ip link set "$port" master "$bridge" up
    ip address add "$address" dev "$nic"
    ip link set "$nic" up
done <"$here/nics"
# the routes of hagen's keyfiles ("DESTINATION via GATEWAY")
while read -r destination via gateway; do
    ip route add "$destination" "$via" "$gateway"
done <"$here/routes"

# EL9's units: sbd.service (Before=corosync) reads /etc/sysconfig/sbd, and so does
# pacemaker.service (EnvironmentFile); pacemaker.service's drop-ins' ExecStartPre run first
if [ -f /etc/sysconfig/sbd ]; then
    set -a
    # shellcheck disable=SC1091
    . /etc/sysconfig/sbd
    set +a
    # shellcheck disable=SC2086
    sbd $SBD_OPTS -p /run/sbd.pid watch
    for _ in $(seq 1 100); do
        [ -s /run/sbd.pid ] && break
        sleep 0.1
    done
fi
corosync -f &
for _ in $(seq 1 300); do
    corosync-cfgtool -s >/dev/null 2>&1 && break
    sleep 0.1
done
for dropin in /etc/systemd/system/pacemaker.service.d/*.conf; do
    [ -f "$dropin" ] || continue
    sed -n 's/^ExecStartPre=//p' "$dropin" | while read -r command; do
        $command
    done
done
pacemakerd &
echo "daemons started: $(date +%T.%N)"
# reap whatever is left to PID 1 until the power goes
while true; do
    wait || true
    sleep 1
done
