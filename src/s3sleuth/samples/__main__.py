from s3sleuth.samples import generate

for path in generate():
    print(path)
