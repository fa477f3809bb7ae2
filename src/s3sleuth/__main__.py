from s3sleuth.cli import main

main()
