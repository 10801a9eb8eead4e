// pdfmake 0.3 ships no types: the part of its server API that src/reports/pdf.ts uses.
declare module 'pdfmake' {
  interface FontFiles {
    normal: string;
    bold: string;
    italics: string;
    bolditalics: string;
  }

  interface OutputDocument {
    getBuffer(): Promise<Buffer>;
  }

  interface PdfMake {
    setFonts(fonts: Record<string, FontFiles>): void;
    /** Called for every URL a document would fetch (fonts, images); only `true` lets it through. */
    setUrlAccessPolicy(policy: (url: string) => boolean): void;
    /** Called for every local path a document would read; only `true` lets it through. */
    setLocalAccessPolicy(policy: (path: string) => boolean): void;
    createPdf(definition: Record<string, unknown>): OutputDocument;
  }

  const pdfmake: PdfMake;
  export default pdfmake;
}
