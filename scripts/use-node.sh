# Source this (`. scripts/use-node.sh`): puts a Node.js of the major version in .nvmrc first on PATH.
# A machine whose `node` is that major already keeps it. Otherwise the official build is taken from
# the npm registry (the `node-<os>-<arch>` package holds the release's `node` binary), unpacked once
# into a cache directory and reused after that. npm itself stays the machine's: it runs on any Node.
#
#   NODE_CACHE_DIR   where the builds are unpacked (default: ~/.cache/store-api/node)
_use_node() {
  local root wanted current os arch dir tmp tarball
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  wanted=$(tr -d ' \nv' <"$root/.nvmrc")
  wanted=${wanted%%.*}
  current=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)
  [ "$current" = "$wanted" ] && return 0

  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "use-node: install Node $wanted yourself" >&2; return 1 ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) echo "use-node: install Node $wanted yourself" >&2; return 1 ;; esac
  dir=${NODE_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/store-api/node}/$wanted-$os-$arch
  if [ ! -x "$dir/bin/node" ]; then
    echo "use-node: Node ${current:-none} here; fetching Node $wanted (node-$os-$arch) from the npm registry" >&2
    tmp=$(mktemp -d)
    # `npm pack` checks the tarball against the registry's integrity hash.
    tarball=$(cd "$tmp" && npm pack --silent "node-$os-$arch@$wanted") || { rm -rf "$tmp"; return 1; }
    tar -xzf "$tmp/$tarball" -C "$tmp"
    mkdir -p "$(dirname "$dir")"
    rm -rf "$dir" && mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  hash -r
}
_use_node || return 1 2>/dev/null || exit 1
unset -f _use_node
