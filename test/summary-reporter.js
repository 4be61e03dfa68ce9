// Prints one closing line, "jest: N passed, N failed, N skipped", so CI logs
// state the count of tests that ran in a form any log reader understands.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTotalTests } = results;
    if (numTotalTests === 0) {
      process.stdout.write('jest: no tests ran\n');
      return;
    }
    process.stdout.write(`jest: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests} skipped\n`);
  }
}
module.exports = SummaryReporter;
