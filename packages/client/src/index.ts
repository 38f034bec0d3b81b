/** @vectra/client — being built (issue 22). */
export {};
