#!/usr/bin/env bash
# archlint.sh checks the dependency rules of the layout (README "Layout"):
#   1. platform/** imports no modules/** and no apps/** (platform knows nothing of chat);
#   2. modules/X never imports modules/Y/internal/... (only Y's root package);
#   3. modules/** imports no apps/**; apps/X imports no other apps/Y/**;
#   4. modules/*/internal/domain and .../internal/app import no adapter library
#      (gin, gorm, go-redis, asynq, melody): they speak through ports;
#   5. github.com/olahol/melody is imported only under apps/gateway;
#   6. no gorm Row() outside tests: with PrepareStmt a statement that fails to
#      prepare makes Row().Scan panic; database.ScanRow returns the error.
#   7. the gateway's build links no database code (go list -deps ./apps/gateway):
#      no gorm, pgx, lib/pq, platform/database or a module's postgres adapter. It
#      speaks to the api through the stream contract, modules/messaging/wire.
#      (gin stays: it is the gateway's HTTP router, and gin itself imports binding.)
# Test files count too (except for 6). Prints one line per violation and exits 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."

rows=0
while IFS= read -r hit; do
  printf 'archlint: %s: use database.ScanRow, not gorm Row()\n' "$hit"
  rows=$((rows + 1))
done < <(grep -rn --include='*.go' --exclude='*_test.go' '\.Row()' apps modules platform tests |
  grep -Ev '^[^:]+:[0-9]+:[[:space:]]*//' | cut -d: -f1,2)

mod=$(go list -m)
while IFS= read -r dep; do
  printf 'archlint: apps/gateway links %s: the gateway holds no database code (import modules/messaging/wire, not the module)\n' "$dep"
  rows=$((rows + 1))
done < <(go list -deps ./apps/gateway |
  grep -E "^(gorm\.io/|github\.com/jackc/pgx|github\.com/lib/pq|$mod/platform/database(/|\$)|$mod/modules/[^/]+/internal/adapters/postgres)" |
  sed -E 's#^(gorm\.io/[^/]+|github\.com/jackc/pgx(/v[0-9]+)?|github\.com/lib/pq).*#\1#' | sort -u || true)

# One line per package: "<path> <imports...>", test imports included.
go list -e -f '{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... |
awk -v mod="$mod/" -v n="$rows" '
function rel(p) { return substr(p, 1, length(mod)) == mod ? substr(p, length(mod) + 1) : "" }
function under(p, dir) { return p == dir || index(p, dir "/") == 1 }
function seg(p, n,   a) { split(p, a, "/"); return a[n] }
function bad(pkg, imp, why) {
  key = pkg " " imp
  if (!(key in seen)) { seen[key] = 1; printf "archlint: %s imports %s: %s\n", pkg, imp, why; n++ }
}
{
  pkg = rel($1)
  for (i = 2; i <= NF; i++) {
    imp = $i; r = rel(imp)
    if (under(pkg, "platform") && (under(r, "modules") || under(r, "apps")))
      bad(pkg, r, "platform must not depend on modules or apps")
    if (under(pkg, "modules") && under(r, "apps"))
      bad(pkg, r, "modules must not depend on apps")
    if (under(pkg, "modules") && under(r, "modules") && seg(r, 2) != seg(pkg, 2) && seg(r, 3) == "internal")
      bad(pkg, r, "use the other module'"'"'s root package, not its internals")
    if (under(pkg, "apps") && under(r, "apps") && seg(r, 2) != seg(pkg, 2))
      bad(pkg, r, "an app must not depend on another app")
    if (pkg ~ /^modules\/[^\/]+\/internal\/(domain|app)(\/|$)/ &&
        imp ~ /^(github\.com\/gin-gonic\/gin|gorm\.io\/|github\.com\/redis\/go-redis|github\.com\/hibiken\/asynq|github\.com\/olahol\/melody)/)
      bad(pkg, imp, "domain and app code speak through ports, not adapter libraries")
    if (imp ~ /^github\.com\/olahol\/melody(\/|$)/ && !under(pkg, "apps/gateway"))
      bad(pkg, imp, "melody belongs to apps/gateway only")
  }
}
END { if (n) { printf "archlint: %d violation(s)\n", n; exit 1 } print "archlint: ok" }
'
