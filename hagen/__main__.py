import sys

try:
    from hagen.cli import main
except KeyboardInterrupt:          # interrupted while Python imports hagen: no traceback either
    sys.stderr.write("hagen: interrupted\n")
    sys.exit(130)

main()
