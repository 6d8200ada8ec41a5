#!/usr/bin/env bash
# make demo: build a bundle from Debian's busybox-static and run it with rt,
# showing that the container is isolated (its own pid 1, hostname, network).
set -euo pipefail
RT=${1:-$(dirname "$0")/../rt}
dir=$(mktemp -d /tmp/rt-demo.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir"/rootfs/{bin,proc,sys,dev,tmp,etc,root}
cp /bin/busybox "$dir/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$dir/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/rootfs/etc/passwd"
echo 'root:x:0:' > "$dir/rootfs/etc/group"
cd "$dir"
"$RT" spec
jq '.process.terminal = false
  | .process.args = ["sh", "-c", "echo \"hello from a container: pid $$, host $(hostname)\"; echo processes:; ps; echo network:; ip -o link"]
  | .hostname = "rt-demo"' config.json > config.json.new && mv config.json.new config.json
"$RT" --root "$dir/state" run "$dir"
