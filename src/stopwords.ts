/**
 * English function words (and the verbs people wrap a question in: "tell me", "find", "show"):
 * words that say how a sentence is built, not what it is about. Shared by what picks a text's
 * content words: the extractive answerer (rag/extractive.ts) and the query thesaurus
 * (embed/thesaurus.ts). No imports: a floor every layer may use.
 */
export const STOPWORDS: ReadonlySet<string> = new Set(
  'a an the and or but if then else of to in on at by for with from into onto about as is are was were be been being am do does did doing have has had having i me my we our you your he him his she her it its they them their this that these those what which who whom whose when where why how all any both each few more most other some such no nor not only own same so than too very can will just should could would may might must shall there here also up down out over under again further once s t don doesn isn aren wasn weren hasn haven hadn won wouldn shouldn couldn mustn let lets please tell me give show explain describe find much many'.split(' '),
);
