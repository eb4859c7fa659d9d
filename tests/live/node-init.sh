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

# NICs: one veth pair each, the other end plugged into its bridge in the switch namespace
# ("ip ... netns 1" is this process: ip resolves the PID in our own /proc)
ip link set lo up
while read -r nic port bridge address; do
    nsenter --net="$switch" ip link add "$port" type veth peer name "$nic" netns 1
    nsenter --net="$switch" ip link set "$port" master "$bridge" up
    ip address add "$address" dev "$nic"
    ip link set "$nic" up
done <"$here/nics"
while read -r destination nic; do
    ip route add "$destination" dev "$nic"
done <"$here/routes"

corosync -f &
for _ in $(seq 1 300); do
    corosync-cfgtool -s >/dev/null 2>&1 && break
    sleep 0.1
done
pacemakerd &
echo "daemons started: $(date +%T.%N)"
# reap whatever is left to PID 1 until the power goes
while true; do
    wait || true
    sleep 1
done
