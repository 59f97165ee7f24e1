def log = new File(basedir, 'build.log').text
assert log.contains('BUILD FAILURE')
assert log.contains('1 edgecompress gate(s) failed:')
assert log.contains('max_size: candidate is 1,067,219 bytes, at most 100,000 allowed')
assert new File(basedir, 'target/edgecompress-reports/edgecompress-verify.json').isFile()
