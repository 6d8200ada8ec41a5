# rt: build, test, demo, install. Every Debian package the build or the
# tests need is installed here when missing (apt-get), never by hand.
SHELL := /bin/bash
GO ?= go
PREFIX ?= /usr/local
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0-dev)
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null)
# A static binary: no dynamic loader at every container start, and nothing
# of the host's libraries for a container to reach.
GO_TAGS := osusergo netgo urfave_cli_no_docs
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -linkmode external -extldflags -static
BUILD_DEBS := gcc pkg-config libseccomp-dev
TEST_DEBS := bats busybox-static jq iproute2 util-linux procps attr e2fsprogs sshfs openssh-server uidmap criu linux-libc-dev
APT_STAMP := /var/lib/apt/lists/.rt-apt-updated

.PHONY: all rt deps test-deps test unit integration vm-test vm-test-selinux vm-test-systemd vm-test-criu vm-test-engines e2e oci demo install bench clean fmt vet staticcheck

all: rt

rt: deps
	CGO_ENABLED=1 $(GO) build -trimpath -tags "$(GO_TAGS)" -ldflags "$(LDFLAGS)" -o rt .

# install_debs PKGS: apt-get install those not installed yet.
define install_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q $$missing >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q $$missing; }; \
	fi
endef

deps:
	$(call install_debs,$(BUILD_DEBS))

test-deps:
	$(call install_debs,$(TEST_DEBS))

test: rt test-deps unit integration vm-test vm-test-selinux vm-test-systemd vm-test-criu vm-test-engines e2e oci

unit: deps
	CGO_ENABLED=1 $(GO) test -tags "$(GO_TAGS)" -count=1 ./...

integration: rt test-deps
	RT=$(CURDIR)/rt bats --print-output-on-failure tests/integration

# cgroup v2 and AppArmor tests in a qemu guest (one boot): see tests/vm/README.md.
VM_BATS := $(sort $(wildcard tests/integration/cgroups.bats tests/integration/cgroups_compat.bats tests/integration/update.bats \
	tests/integration/pause.bats tests/integration/events.bats tests/integration/apparmor*.bats))
vm-test: rt
	tests/vm/run.sh --cgroup v2 --lsm apparmor --timeout 1800 -- tests/vm/selftest.bats $(VM_BATS)

# SELinux (Debian's policy + a test module, enforcing) in a second guest boot.
vm-test-selinux: rt
	tests/vm/run.sh --lsm selinux --timeout 900 -- tests/vm/selftest.bats tests/integration/selinux.bats

# The systemd cgroup driver with systemd as the guest's PID 1: cgroup v2, then a hybrid v1 host
# (one boot each, 3-7 min under TCG depending on the host's load).
vm-test-systemd: rt
	tests/vm/run.sh --init systemd --timeout 900 -- tests/vm/selftest.bats tests/integration/systemd.bats tests/integration/rootless_systemd.bats
	tests/vm/run.sh --init systemd --cgroup v1 --timeout 1200 -- tests/vm/selftest.bats tests/integration/systemd.bats tests/integration/rootless_systemd.bats

# checkpoint/restore with CRIU in a guest with the CRIU layer (one boot); recvtty is built for the
# guest, which has no Go toolchain.
vm-test-criu: rt
	CGO_ENABLED=0 $(GO) build -o .build/recvtty ./contrib/cmd/recvtty
	tests/vm/run.sh --criu --timeout 1200 -- tests/integration/checkpoint.bats

# containerd's CRI plugin (SystemdCgroup = true), Podman (cgroup_manager = "systemd") and Docker
# (native.cgroupdriver=systemd) driving ./rt in the systemd guest on cgroup v2, with the engines
# layer (one boot, 3-6 min under TCG); the CRI client is built static for the guest, which has no
# Go toolchain.
vm-test-engines: rt
	CGO_ENABLED=0 $(GO) build -o .build/cri-client ./tests/e2e/cri
	tests/vm/run.sh --init systemd --engines --timeout 1200 -- tests/e2e/systemd.bats

# containerd (ctr and CRI), Podman and Docker driving ./rt: see tests/e2e/run.sh.
e2e: rt
	tests/e2e/run.sh --runtime $(CURDIR)/rt

# OCI runtime-tools validation suite, against tests/oci/expected-failures.txt.
oci: rt test-deps
	tests/oci/run.sh --runtime $(CURDIR)/rt

demo: rt test-deps
	tests/demo.sh $(CURDIR)/rt

install: rt
	install -D -m 0755 rt $(DESTDIR)$(PREFIX)/bin/rt

bench: rt
	bench/run.sh

fmt:
	gofmt -l -w $$(git ls-files '*.go')

vet:
	$(GO) vet -tags "$(GO_TAGS)" ./...

# staticcheck runs from the module proxy at a pinned version; it is a tool,
# not a dependency, so go.mod does not list it.
STATICCHECK_VERSION := v0.8.2
staticcheck: deps
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags "$(GO_TAGS)" ./...

clean:
	rm -f rt
