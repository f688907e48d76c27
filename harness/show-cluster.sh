#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make cluster` shows once every node has booted.
set -e
echo "== bpstat"
bpstat
echo
echo "== bpstat -l"
bpstat -l
