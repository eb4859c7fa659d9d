from hagen.cli import main

main()
