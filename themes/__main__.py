from themes.cli import main

main()
