from audita.cli import main

main()
