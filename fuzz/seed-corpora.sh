#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the test fixtures in tests/data/ (the corpora themselves are
# not committed: they grow with every run). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
data=../tests/data
seed() { # target, files...
    local target=$1
    shift
    mkdir -p "corpus/$target"
    for file in "$@"; do
        [ -f "$file" ] && cp "$file" "corpus/$target/$(echo "$file" | tr '/' '_')"
    done
}
shopt -s nullglob
seed parse_delivery "$data"/delivery/*.txt "$data"/delivery/samples/* "$data"/delivery/errors/*
seed simulate_bank "$data"/delivery/samples/bs0601* "$data"/delivery/ls40* "$data"/delivery/errors/bs0601*
for kind in debtors mandates entries; do
    seed "csv_$kind" "$data/csv/$kind.csv" "$data/run/$kind.csv" "$data"/csv/bad/"$kind"-*.csv
done
mkdir -p corpus/closing_days
printf 'date,name\n2026-12-28,Bank strike\n' > corpus/closing_days/simple.csv
printf '\xef\xbb\xbfname,date\r\n"Moved day, by law","2027-05-10"\r\n\r\n' > corpus/closing_days/quoted.csv
printf 'date,name\n2026-02-30,Impossible\n' > corpus/closing_days/bad_date.csv
echo "seeded: $(ls corpus | tr '\n' ' ')"
