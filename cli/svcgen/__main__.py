from svcgen.main import main

if __name__ == "__main__":  # guarded: `update --jobs N` starts worker processes (spawn)
    main()
