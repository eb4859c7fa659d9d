#!/bin/bash
# The power of one simulated node, driven by its BMC (OpenIPMI's ipmi_sim, lan.conf's
# chassis_control): ipmi_sim runs "bmc-chassis.sh NODE STATE get power" and expects
# "power:1" or "power:0"; "... set power 0|1" and "... set reset 1" switch it.
# Power on boots node-init.sh in new namespaces; power off kills that process namespace
# (SIGKILL to unshare, whose --kill-child takes the node's PID 1 and so every process in it).
node=$1
state=$2
shift 2
here=$state/nodes/$node

# the pid of the node's unshare, if that process still is it (a pid can be reused)
node_pid() {
    local pid
    pid=$(cat "$here/power.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
        | grep -qF "$state/bin/node-init.sh $node " || return 1
    echo "$pid"
}

powered() {
    local pid
    pid=$(node_pid) || return 1
    # a killed unshare may wait as a zombie until the supervisor reaps it
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 1
    [ -r "/proc/$pid/stat" ]
}

power_off() {
    local pid
    pid=$(node_pid) || return 0
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        powered || break
        sleep 0.1
    done
    # the node's NICs go with its network namespace: wait for the switch's ends to go too
    while read -r _ port _; do
        for _ in $(seq 1 100); do
            nsenter --net="$state/ns/switch" ip link show "$port" >/dev/null 2>&1 || break
            sleep 0.1
        done
    done <"$here/nics"
    : >"$here/power.pid"
}

power_on() {
    powered && return 0
    setsid unshare --net --mount --uts --ipc --pid --fork --kill-child=SIGKILL --mount-proc \
        "$state/bin/node-init.sh" "$node" "$state" </dev/null >>"$here/boot.log" 2>&1 &
    echo $! >"$here/power.pid"
    echo on >>"$here/boots"
}

op=$1
shift
case $op in
    get)
        for parm in "$@"; do
            case $parm in
                power) if powered; then echo power:1; else echo power:0; fi ;;
                boot) echo boot:default ;;
            esac
        done ;;
    set)
        while [ $# -ge 2 ]; do
            case $1:$2 in
                power:0) power_off ;;
                power:1) power_on ;;
                reset:1) power_off; power_on ;;
            esac
            shift 2
        done ;;
esac
exit 0
