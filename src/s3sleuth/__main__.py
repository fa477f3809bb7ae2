from s3sleuth.cli import main

if __name__ == "__main__":  # processes started with `spawn` import this module too
    main()
