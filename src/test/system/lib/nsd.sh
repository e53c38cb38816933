# lib/nsd.sh - sourced by run.sh, hostile.sh and lib/netns.sh: the server section every
# system test's nsd.conf starts with.
#
# nsd_server_conf DIR ZONESDIR ADDR@PORT... : "server:" with the listen addresses, no IPv6,
# one server process, no user switch or chroot, zones from ZONESDIR, no database, its state,
# pid and log files in DIR, verbosity 1. The caller appends its own options and zones.
nsd_server_conf() {
  local dir=$1 zonesdir=$2 a; shift 2
  echo "server:"
  for a in "$@"; do echo "  ip-address: $a"; done
  cat <<EOF
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$zonesdir"
  database: ""
  zonelistfile: "$dir/nsd.zonelist"
  xfrdfile: "$dir/nsd.xfrd.state"
  xfrdir: "$dir"
  pidfile: "$dir/nsd.pid"
  logfile: "$dir/nsd.log"
  verbosity: 1
EOF
}
