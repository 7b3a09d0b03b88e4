from svcgen.app import main

main()
