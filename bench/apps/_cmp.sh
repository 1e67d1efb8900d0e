#!/bin/bash
# alternating runs; prints median cpu/req for nq and lmr
for i in 1 2 3 4; do for w in nq lmr; do node bench/apps/_prof.mjs $w; done; done | awk '{print $1, $4}' | sort | awk '{a[$1]=a[$1]" "$2} END {for (k in a) print k, a[k]}'
