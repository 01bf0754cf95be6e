export * from './problem-details.js';
export * from './problem.exception.js';
export { ProblemDetailsFilter, retryAfterOf, sendProblem, toProblemDetails } from './problem-details.filter.js';
export { SchemaValidationPipe } from './schema-validation.pipe.js';
export { ChoosesStatus, chooseStatus, chosenStatusOnSend, CHOOSES_STATUS } from './chosen-status.js';
