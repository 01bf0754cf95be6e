export * from './problem-details.js';
export * from './problem.exception.js';
export { ProblemDetailsFilter, retryAfterOf, sendProblem, toProblemDetails } from './problem-details.filter.js';
export { ZodValidationPipe } from './zod-validation.pipe.js';
export { ChoosesStatus, chooseStatus, chosenStatusOnSend, CHOOSES_STATUS } from './chosen-status.js';
