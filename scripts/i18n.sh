#!/usr/bin/env bash
# Translation catalogues with Babel. Usage:
#   scripts/i18n.sh extract   write the template of every marked string to $TMPDIR/tipdrop-messages.pot
#   scripts/i18n.sh update    extract, then merge it into each language's messages.po
#   scripts/i18n.sh compile   compile each messages.po to the messages.mo the server loads
#   scripts/i18n.sh all       update, then compile
# After `update`, translate every new or fuzzy entry in dropbox_server/locale/*/LC_MESSAGES/
# messages.po, run `compile`, and commit both files: tests/i18n fails on any message that is
# missing, untranslated or fuzzy, and on a messages.mo that does not match its messages.po.
set -euo pipefail
cd "$(dirname "$0")/.."

# Babel's command line through the interpreter that has it installed (the tests pass their own).
pybabel() { "${PYTHON:-python3}" -m babel.messages.frontend "$@"; }

LOCALES=dropbox_server/locale
POT="${TMPDIR:-/tmp}/tipdrop-messages.pot"

extract() {
  pybabel extract -F babel.cfg -k lazy --no-location --sort-output \
    --add-comments=Translators: --project=tipdrop --copyright-holder="tipdrop" -o "$POT" .
}

update() {
  extract
  pybabel update -i "$POT" -d "$LOCALES" -D messages --ignore-obsolete --no-wrap
}

compile() {
  pybabel compile --statistics -d "$LOCALES" -D messages
}

case "${1:-}" in
  extract) extract ;;
  update) update ;;
  compile) compile ;;
  all) update; compile ;;
  *) sed -n '2,9p' "$0"; exit 2 ;;
esac
