#!/usr/bin/env python3
"""Turns the dashboard page (HTML) into a C file: dash_page_html and dash_page_len."""
import sys

src, out = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
with open(out, 'w') as f:
    f.write('/* Generated from dash_page.html by dash_page.py: do not edit. */\n')
    f.write('#include "dash_page.h"\n\nconst char dash_page_html[] = {\n')
    for i in range(0, len(data), 16):
        f.write('    ' + ''.join('%d,' % b for b in data[i:i + 16]) + '\n')
    f.write('    0};\nconst size_t dash_page_len = %d;\n' % len(data))
