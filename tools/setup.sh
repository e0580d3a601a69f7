#!/usr/bin/env bash
# Prepares a Debian 12 machine for PgHa's test suite. Run as root; safe to run again.
#
# - installs only what is missing of postgresql-15, openssh-server, nftables and etcd (server and
#   etcdctl: the etcd consensus tests start their own 3-member cluster on loopback);
# - leaves no distro PostgreSQL cluster running (the tests start their own servers on loopback
#   addresses and free ports; a stray cluster on 5432 would only confuse a DBA reading the logs);
# - creates /run/sshd, which sshd insists on as its privilege-separation directory;
# - restores the .NET local tools (pwsh 7.6.10, .config/dotnet-tools.json).
# Nothing is deleted: a stopped distro cluster keeps its data directory.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: run as root (apt-get and the postgres OS user need it)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# haproxy and prometheus (for promtool): the health endpoint tests route through a real HAProxy and
# check /metrics with promtool. Neither service is started (policy-rc.d below; the tests run their own).
required_packages="postgresql-15 openssh-server nftables etcd-server etcd-client haproxy prometheus"

missing_packages=""
for package in $required_packages; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
        missing_packages="$missing_packages $package"
    fi
done

if [ -n "$missing_packages" ]; then
    echo "setup.sh: installing$missing_packages"
    # Stops the packages' maintainer scripts from starting services (sshd on 0.0.0.0:22, a
    # PostgreSQL cluster on 5432, etcd on 2379): the tests run their own servers on loopback only. Only when no
    # policy is in place already, and removed again afterwards.
    policy_file=/usr/sbin/policy-rc.d
    created_policy=no
    if [ ! -e "$policy_file" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy_file"
        chmod 755 "$policy_file"
        created_policy=yes
    fi
    remove_policy() { if [ "$created_policy" = yes ]; then rm -f "$policy_file"; fi; }
    trap remove_policy EXIT
    apt-get update -q
    # shellcheck disable=SC2086 # the list is meant to split into words
    apt-get install -y -q --no-install-recommends $missing_packages
    remove_policy
    trap - EXIT
else
    echo "setup.sh: $required_packages already installed"
fi

# A cluster that a package install started anyway (or that an earlier install left running) is
# stopped, not dropped. pg_lsclusters prints: version cluster port status owner datadir logfile.
if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version cluster port status _; do
        case "$status" in
            online*)
                echo "setup.sh: stopping distro cluster $version/$cluster on port $port"
                pg_ctlcluster "$version" "$cluster" stop || true
                ;;
        esac
    done
fi
if command -v service >/dev/null 2>&1 && [ -x /etc/init.d/postgresql ]; then
    service postgresql stop >/dev/null 2>&1 || true
fi
# The same for the distro's etcd service (the tests' members run on their own loopback addresses).
if command -v service >/dev/null 2>&1 && [ -x /etc/init.d/etcd ]; then
    service etcd stop >/dev/null 2>&1 || true
fi

mkdir -p /run/sshd
chmod 755 /run/sshd

for tool in /usr/lib/postgresql/15/bin/initdb /usr/sbin/sshd /usr/sbin/nft /usr/bin/ssh-keygen /usr/bin/etcd /usr/bin/etcdctl /usr/sbin/haproxy /usr/bin/promtool; do
    if [ ! -x "$tool" ]; then
        echo "setup.sh: $tool is missing after installation" >&2
        exit 1
    fi
done
# pwsh, pinned in .config/dotnet-tools.json (NuGet package PowerShell; name the version: the newest, 7.7.0,
# fails here). `dotnet pwsh` then runs it from the repository's folder.
repo_root=$(cd "$(dirname "$0")/.." && pwd)
(cd "$repo_root" && dotnet tool restore >/dev/null) || { echo "setup.sh: dotnet tool restore (pwsh) failed" >&2; exit 1; }
(cd "$repo_root" && dotnet pwsh -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' >/dev/null) ||
    { echo "setup.sh: the pinned pwsh does not start" >&2; exit 1; }
echo "setup.sh: ready"
