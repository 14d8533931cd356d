export { CursorParam, LimitParam, type PageQuery, PageQuerySchema } from '@portcullis/shared/api/queries';
